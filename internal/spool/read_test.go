package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestRead reads records back from every place one can be: buffered
// (SyncPeriodic, not yet written), written to the active segment, in an
// older segment, recovered by Open, and after the directory is removed.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Sync: SyncPeriodic, SegmentSize: 4 * frameSize(3)}
	s := mustOpen(t, dir, opts)
	check := func(stage string, ids ...uint64) {
		t.Helper()
		for _, id := range ids {
			got, err := s.Read([]byte("x"), id)
			if want := fmt.Sprintf("xr%02d", id); err != nil || string(got) != want {
				t.Fatalf("%s: Read(%d) = %q, %v; want %q", stage, id, got, err, want)
			}
		}
	}
	for i := 1; i <= 10; i++ { // three segments
		mustAppend(t, s, fmt.Sprintf("r%02d", i))
	}
	check("buffered and rotated", 1, 4, 5, 9, 10)
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	check("written", 1, 8, 9, 10)
	if err := s.Ack(2, 3); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{2, 11, 0} {
		if _, err := s.Read(nil, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Read(%d) after its ack or of no record = %v, want ErrNotFound", id, err)
		}
	}
	mustClose(t, s)

	s = mustOpen(t, dir, opts)
	s.Pending()
	check("recovered", 1, 4, 5, 8, 10)
	mustRemoveAll(t, dir)
	check("directory removed", 1, 5, 10)
	s.Close()
	if _, err := s.Read(nil, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close = %v, want ErrClosed", err)
	}
}

// TestReadDamaged: bytes changed on disk after the Append fail the
// checksum rather than come back changed.
func TestReadDamaged(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	mustAppend(t, s, "r1")
	id := mustAppend(t, s, "r2")
	f, err := os.OpenFile(filepath.Join(dir, segName(1)), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("R"), recOff(2)+frameHeaderSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, err := s.Read(nil, id); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read of a damaged record = %q, %v; want ErrCorrupt", got, err)
	}
	if got, err := s.Read(nil, 1); err != nil || string(got) != "r1" {
		t.Fatalf("Read of the intact record = %q, %v", got, err)
	}
	mustClose(t, s)
}
