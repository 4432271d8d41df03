package spool

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Removing or replacing the directory or its files under an open spool is
// noticed by the next Append, Sync and Close, which fail with ErrLost and
// leave a replacement directory untouched.
func TestLossIsDetected(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, dir string)
	}{
		{"directory removed", func(t *testing.T, dir string) { mustRemoveAll(t, dir) }},
		{"directory replaced", func(t *testing.T, dir string) {
			mustRemoveAll(t, dir)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"files removed", func(t *testing.T, dir string) {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}},
		{"active segment removed", func(t *testing.T, dir string) {
			segs := segFiles(t, dir)
			os.Remove(filepath.Join(dir, segs[len(segs)-1]))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "spool")
			s, err := Open(dir, Options{SegmentSize: 128})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				mustAppend(t, s, "before")
			}
			tc.do(t, dir)
			after := dirNames(dir)
			if _, err := s.Append([]byte("after")); !errors.Is(err, ErrLost) {
				t.Errorf("Append after loss = %v, want ErrLost", err)
			}
			if err := s.Ack(1, 2, 3, 4, 5, 6, 7, 8, 9, 10); !errors.Is(err, ErrLost) {
				t.Errorf("Ack after loss = %v, want ErrLost", err)
			}
			if err := s.Sync(); !errors.Is(err, ErrLost) {
				t.Errorf("Sync after loss = %v, want ErrLost", err)
			}
			if err := s.Close(); !errors.Is(err, ErrLost) {
				t.Errorf("Close after loss = %v, want ErrLost", err)
			}
			if got := dirNames(dir); !slices.Equal(got, after) {
				t.Errorf("the lost spool changed the directory: %v, then %v", after, got)
			}
		})
	}
}

// The spool is recreated in a replaced directory by opening it again.
func TestReopenAfterLoss(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, "r1")
	mustRemoveAll(t, dir)
	if _, err := s.Append([]byte("r2")); !errors.Is(err, ErrLost) {
		t.Fatalf("Append = %v, want ErrLost", err)
	}
	s.Close()
	s = mustOpen(t, dir, Options{})
	if id := mustAppend(t, s, "r2"); id == 0 {
		t.Fatal("no ID")
	}
}

// The directory is created 0700, or restricted to it, and every file in it
// is 0600: records hold the host's analytics, for no other local user to
// read.
func TestPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, Options{SegmentSize: 64})
	for range 10 {
		mustAppend(t, s, "some record data")
	}
	if err := s.Ack(1, 2); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", e.Name(), info.Mode().Perm())
		}
	}
	if len(entries) < 4 {
		t.Errorf("only %d files checked", len(entries))
	}
}

func mustRemoveAll(t *testing.T, dir string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
}

func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}

// Close notices a loss that no Append or Sync noticed before.
func TestCloseDetectsLoss(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	s, err := Open(dir, Options{Sync: SyncPeriodic, SyncInterval: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, "r1")
	mustRemoveAll(t, dir)
	if err := s.Close(); !errors.Is(err, ErrLost) {
		t.Errorf("Close = %v, want ErrLost", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close wrote into the removed directory: %v", err)
	}
}
