package spool

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs"
)

// faultyWrite fails every write with ENOSPC while full is set.
func faultyWrite(full *atomic.Bool) func(logfs.File, []byte, int64) (int, error) {
	return func(f logfs.File, b []byte, off int64) (int, error) {
		if full.Load() {
			return 0, &fs.PathError{Op: "write", Path: logfs.OSFile(f).Name(), Err: syscall.ENOSPC}
		}
		return writeFile(f, b, off)
	}
}

// Under SyncPeriodic, Append makes no write: records are buffered until
// the sync. A sync that cannot write (a full disk) keeps them buffered and
// refuses new Appends, and is not sticky: once space returns the next
// sync writes them, and only the accepted records are recovered.
func TestPeriodicWriteFailureIsNotSticky(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	s := mustOpen(t, dir, Options{Sync: SyncPeriodic, SyncInterval: 1 << 40, Write: faultyWrite(&full)})
	mustAppend(t, s, "r0") // the first also writes the ID bound
	full.Store(true)
	for i := 1; i < 10; i++ {
		mustAppend(t, s, "r"+string(rune('0'+i))) // buffered: the full disk is not touched
	}
	if err := s.Sync(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Sync on a full disk = %v, want ENOSPC", err)
	}
	if _, err := s.Append([]byte("refused")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append after a failed write = %v, want ENOSPC", err)
	}
	full.Store(false)
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync once the disk has room: %v", err)
	}
	mustAppend(t, s, "after")
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	defer mustClose(t, s)
	var got []string
	for _, r := range s.Pending() {
		got = append(got, string(r.Data))
	}
	if len(got) != 11 || got[0] != "r0" || got[9] != "r9" || got[10] != "after" {
		t.Fatalf("recovered %q, want r0..r9 and after", got)
	}
}

// Under SyncEach a write that fails refuses that record only.
func TestSyncEachWriteFailureRefusesTheRecord(t *testing.T) {
	dir := t.TempDir()
	var full atomic.Bool
	s := mustOpen(t, dir, Options{Write: faultyWrite(&full)})
	mustAppend(t, s, "before")
	full.Store(true)
	if _, err := s.Append([]byte("refused")); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Append on a full disk = %v, want ENOSPC", err)
	}
	full.Store(false)
	mustAppend(t, s, "after")
	if st := s.Stats(); st.Records != 2 {
		t.Errorf("Records = %d, want 2", st.Records)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	defer mustClose(t, s)
	if p := s.Pending(); len(p) != 2 || string(p[0].Data) != "before" || string(p[1].Data) != "after" {
		t.Fatalf("recovered %v", p)
	}
}

// A record whose Append returned an error was not accepted: an Open of the
// directory afterwards does not find it, whether the fsync failed or the
// lock file was found replaced after it.
func TestFailedAppendIsNotRecovered(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(dir string, fail *atomic.Bool)
	}{
		{"fsync failed", func(_ string, fail *atomic.Bool) { fail.Store(true) }},
		{"lock file removed", func(dir string, _ *atomic.Bool) { os.Remove(filepath.Join(dir, lockName)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var fail atomic.Bool
			fsync := func(f logfs.File) error {
				if fail.Load() {
					return errors.New("injected fsync failure")
				}
				return f.Sync()
			}
			s := mustOpen(t, dir, Options{Fsync: fsync})
			mustAppend(t, s, "accepted")
			tc.fault(dir, &fail)
			if _, err := s.Append([]byte("refused")); err == nil {
				t.Fatal("Append succeeded after the fault")
			}
			s.Close()
			fail.Store(false)
			s = mustOpen(t, dir, Options{})
			defer mustClose(t, s)
			if p := s.Pending(); len(p) != 1 || string(p[0].Data) != "accepted" {
				var got []string
				for _, r := range p {
					got = append(got, string(r.Data))
				}
				t.Fatalf("recovered %q, want only the accepted record", got)
			}
		})
	}
}
