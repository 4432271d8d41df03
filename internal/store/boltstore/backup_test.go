package boltstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

func TestBackupCopyOpensWithTheEntries(t *testing.T) {
	s := openTest(t, store.Options{})
	fill(t, s, store.Events, 10)
	mustAppend(t, s, store.Snapshots, `{"snap":1}`)
	var buf bytes.Buffer
	n, err := s.Backup(context.Background(), &buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("Backup = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := CheckCopy(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != 10 || st.Snapshots != 1 {
		t.Fatalf("copy holds %d events and %d snapshots, want 10 and 1", st.Events, st.Snapshots)
	}
}

func TestCheckCopyRefusesForeignAndDamagedFiles(t *testing.T) {
	dir := t.TempDir()
	// Another program's bbolt file; and one that has the store's buckets
	// and one more (no store has that, so it is not a copy of one).
	foreign := boltFile(t, filepath.Join(dir, "foreign.db"), "sessions")
	mixed := boltFile(t, filepath.Join(dir, "mixed.db"), "events", "snapshots", "idempotency-keys", "idempotency-keys-by-time", "sessions")
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, bytes.Repeat([]byte("not a store "), 2000), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{foreign, mixed, text} {
		if _, err := CheckCopy(context.Background(), path); !errors.Is(err, store.ErrDamaged) {
			t.Errorf("CheckCopy(%s) = %v, want store.ErrDamaged", filepath.Base(path), err)
		}
	}
}

func TestBackupOfClosedStoreFails(t *testing.T) {
	s := openTest(t, store.Options{})
	s.Close()
	if _, err := s.Backup(context.Background(), &bytes.Buffer{}); err == nil {
		t.Fatal("a closed store made a backup")
	}
}

// boltFile makes a bbolt file with empty buckets of the given names.
func boltFile(t *testing.T, path string, buckets ...string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucket([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	})
	if cerr := db.Close(); err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	return path
}

// BenchmarkBackup copies a store of 100,000 events (about 100-byte
// entries) to a real file, as analyticsd backup does: MB/s of the copy.
func BenchmarkBackup(b *testing.B) {
	s := openTest(b, store.Options{})
	name, _ := kindBucket(store.Events)
	entry := bytes.Repeat([]byte("x"), 100)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for range 100_000 {
			if err := putNext(tx.Bucket(name), entry); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "copy.db")
	b.ReportAllocs()
	var n int64
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if n, err = s.Backup(context.Background(), f); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.SetBytes(n)
	b.ReportMetric(float64(n)/(1<<20), "MiB/copy")
}
