package powercut_test

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs/powercut"
)

// TestCutKeepsWhatWasSynced cuts the power after a synced write, an
// unsynced one over it and a file created in an unsynced directory, for
// several seeds (the torn write is drawn from the seed).
func TestCutKeepsWhatWasSynced(t *testing.T) {
	for seed := range uint64(16) {
		cutOnce(t, seed)
	}
}

func cutOnce(t *testing.T, seed uint64) {
	fs := powercut.New(seed)
	f, err := fs.Create("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("synced"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("SYNCED, then more"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Create("b"); err != nil { // never in a synced directory
		t.Fatal(err)
	}
	fs.CutAfter(1)
	if err := f.Sync(); !errors.Is(err, powercut.ErrPowerCut) {
		t.Fatalf("Sync at the cut: %v", err)
	}
	select {
	case <-fs.Down():
	default:
		t.Fatal("Down is not closed after the cut")
	}
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, powercut.ErrPowerCut) {
		t.Errorf("WriteAt after the cut: %v", err)
	}
	fs.Restore()
	if _, err := f.WriteAt([]byte("x"), 0); !errors.Is(err, powercut.ErrPowerCut) {
		t.Errorf("a handle from before the cut: %v", err)
	}
	if files := fs.Files(); len(files) != 1 {
		t.Errorf("files after the cut: %v, want a alone", files)
	}
	g, err := fs.Open("a")
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	n, _ := g.ReadAt(got, 0)
	got = got[:n]
	// The unsynced write is lost, or a prefix of it survives (torn).
	full := []byte("SYNCED, then more")
	for k := range len(full) + 1 {
		want := append([]byte(nil), full[:k]...)
		if k < len("synced") {
			want = append(want, "synced"[k:]...)
		}
		if bytes.Equal(got, want) {
			return
		}
	}
	t.Errorf("after the cut the file holds %q", got)
}

// A missing file is fs.ErrNotExist, as on disk: logs tell it from a failure.
func TestMissingFileIsNotExist(t *testing.T) {
	fsys := powercut.New(1)
	if _, err := fsys.Open("missing"); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want fs.ErrNotExist", err)
	}
	if err := fsys.Remove("missing"); !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("Remove of a missing file: %v, want fs.ErrNotExist", err)
	}
}
