package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// writeOldFile writes a store file as the format before the counts had it:
// events and snapshots buckets with n and m entries and no meta bucket.
func writeOldFile(t testing.TB, path string, events, snapshots int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	data := []byte(`{"event":"x","value":"0123456789abcdef"}`)
	for _, c := range []struct {
		name []byte
		n    int
	}{{bucketEvents, events}, {bucketSnapshots, snapshots}} {
		// 100,000 entries a transaction keeps a large fill quick.
		for done := 0; done < c.n; {
			err := db.Update(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists(c.name)
				if err != nil {
					return err
				}
				for i := 0; i < 100_000 && done < c.n; i, done = i+1, done+1 {
					// The format before checksums: the bare data.
					seq, err := b.NextSequence()
					if err != nil {
						return err
					}
					if err := b.Put(seqKey(seq), data); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestOpenCountsAFileWithoutCounts: a file from before the counts is counted
// once by Open, which stores the counts (a later open finds them), and read
// correctly by OpenReadOnly, which writes nothing.
func TestOpenCountsAFileWithoutCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	writeOldFile(t, path, 7, 3)

	ro, err := OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WantCounts(t, ro, 7, 3)
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := rawCount(t, path, bucketEvents); ok {
		t.Fatal("OpenReadOnly wrote the counts")
	}

	var logs bytes.Buffer
	s, err := Open(path, store.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	storetest.WantCounts(t, s, 7, 3)
	storetest.MustOK(t, s.Append(context.Background(), []store.Record{storetest.Rec(store.Events, "new", "", "", "")}))
	storetest.WantCounts(t, s, 8, 3)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "store counted its entries") {
		t.Errorf("the upgrade is not logged:\n%s", logs.String())
	}
	if n, ok := rawCount(t, path, bucketEvents); !ok || n != 8 {
		t.Errorf("stored count of events: %d, %v; want 8", n, ok)
	}
}

// TestOpenCorrectsAWrongCount: a count that disagrees with the entries
// (which no transaction of the store leaves) is corrected on open, with a
// warning.
func TestOpenCorrectsAWrongCount(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, store.Snapshots, 5)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return setCount(tx, bucketSnapshots, 42) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s, err = Open(path, store.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.WantCounts(t, s, 0, 5)
	if !strings.Contains(logs.String(), "level=WARN msg=\"store count corrected\"") {
		t.Errorf("the correction is not logged as a warning:\n%s", logs.String())
	}
}

// rawCount reads a collection's stored count from a closed store file.
func rawCount(t testing.TB, path string, bucket []byte) (n uint64, ok bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		n, ok = storedCount(tx, bucket)
		return nil
	})
	return n, ok
}

// BenchmarkStatus measures what /status, a /metrics scrape and a
// /view/live poll ask the store: both counts and the room in use, at 10
// and at 1,000,000 entries. The counts are kept as the store commits, so
// both sizes cost the same (before, Count walked every page: 6.7 ms at
// 1,000,000 entries on the reference machine).
//
//	go test -run '^$' -bench Status ./internal/store/boltstore
func BenchmarkStatus(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(fmt.Sprint("entries=", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), FileName)
			writeOldFile(b, path, n, 0)
			s, err := Open(path, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				ev, err := s.Count(ctx, store.Events)
				if err != nil || ev != n {
					b.Fatalf("count %d, %v", ev, err)
				}
				if _, err := s.Count(ctx, store.Snapshots); err != nil {
					b.Fatal(err)
				}
				if _, err := s.UsedBytes(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
