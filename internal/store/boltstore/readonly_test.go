package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	berrors "go.etcd.io/bbolt/errors"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// readOnlyFixture writes a store of 2500 events of which the first 100
// were deleted by a check-in, and returns its path.
func readOnlyFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]store.Record, 2500)
	for i := range recs {
		recs[i] = storetest.Rec(store.Events, fmt.Sprintf(`{"event":"e%04d"}`, i), "", "", "")
	}
	storetest.MustOK(t, s.Append(context.Background(), recs))
	if err := s.DeleteThrough(context.Background(), store.Events, 100); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpenReadOnly: a read-only store reads entries and keys, writes
// nothing, refuses a file the service holds (and holds the service off),
// and does not create a missing file.
func TestOpenReadOnly(t *testing.T) {
	path := readOnlyFixture(t)
	before, _ := os.ReadFile(path)
	s, err := open(path, store.Options{}.WithDefaults(), true, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(scanAll(t, s, store.Events, 0)); n != 2400 || count(t, s, store.Events) != 2400 {
		t.Errorf("%d events, count %d, want 2400", n, count(t, s, store.Events))
	}
	if res := s.Append(context.Background(), []store.Record{storetest.Rec(store.Events, "x", "", "", "")}); res[0].Err == nil {
		t.Error("Append on a read-only store succeeded")
	}
	if _, err := open(path, store.Options{}.WithDefaults(), false, 50*time.Millisecond); !errors.Is(err, berrors.ErrTimeout) {
		t.Errorf("Open while a copy reads the file: %v, want a lock timeout", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the file changed (%d bytes, was %d)", len(after), len(before))
	}

	svc, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	_, err = open(path, store.Options{}.WithDefaults(), true, 50*time.Millisecond)
	if !errors.Is(err, berrors.ErrTimeout) || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("OpenReadOnly of a file in use: %v, want a lock timeout saying so", err)
	}

	missing := filepath.Join(t.TempDir(), "none", "analytics.db")
	if _, err := OpenReadOnly(missing, store.Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenReadOnly created the directory of a missing file")
	}
}

// TestScanKeysPages: every key is reported once, in key order, across
// pages, with its stored-at time, sum and reply.
func TestScanKeysPages(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	s := openTest(t, clock.Options(store.Options{ScanPage: 3}))
	var want []store.RememberedKey
	for i := range 10 {
		k := store.RememberedKey{Key: fmt.Sprintf("k%02d", i), Sum: []byte{byte(i)}, Reply: []byte(fmt.Sprint("r", i)), StoredAt: clock.Now()}
		storetest.MustOK(t, s.Append(context.Background(), []store.Record{{Kind: store.Events, Key: k.Key, Sum: k.Sum, Reply: k.Reply}}))
		want = append(want, k)
		clock.Advance(time.Minute)
	}
	var got []store.RememberedKey
	if err := s.ScanKeys(context.Background(), func(k store.RememberedKey) error { got = append(got, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || !bytes.Equal(got[i].Sum, want[i].Sum) || !bytes.Equal(got[i].Reply, want[i].Reply) || !got[i].StoredAt.Equal(want[i].StoredAt) {
			t.Errorf("key %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
