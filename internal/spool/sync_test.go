package spool

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs"
)

// syncRecorder wraps the real fsync and records, per file, the size the
// file had when an fsync of it completed: what a power loss would keep.
type syncRecorder struct {
	mu     sync.Mutex
	synced map[string]int64
}

func (r *syncRecorder) fsync(f logfs.File) error {
	size, err := f.Size()
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.synced == nil {
		r.synced = make(map[string]int64)
	}
	r.synced[filepath.Base(logfs.OSFile(f).Name())] = size
	return nil
}

func (r *syncRecorder) size(name string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.synced[name]
}

// With SyncEach, every byte of a record is covered by a completed fsync
// when Append returns, across segment rotations too.
func TestAppendReturnsAfterFsync(t *testing.T) {
	dir := t.TempDir()
	var rec syncRecorder
	s := mustOpen(t, dir, Options{Fsync: rec.fsync, SegmentSize: 256})
	for i := range 40 {
		mustAppend(t, s, "record with some bytes")
		segs := segFiles(t, dir)
		active := segs[len(segs)-1]
		fi, err := os.Stat(filepath.Join(dir, active))
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.size(active); got != fi.Size() {
			t.Fatalf("append %d returned with %d of %d bytes of %s fsynced", i, got, fi.Size(), active)
		}
	}
}

// Sync covers acknowledgements; Close covers everything, also with
// SyncPeriodic.
func TestSyncAndCloseFsyncAcks(t *testing.T) {
	dir := t.TempDir()
	var rec syncRecorder
	s, err := Open(dir, Options{Fsync: rec.fsync, Sync: SyncPeriodic, SyncInterval: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	id := mustAppend(t, s, "a")
	mustAppend(t, s, "b")
	if err := s.Ack(id); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	ack := ackName(1)
	if got := rec.size(ack); got != ackEntrySize {
		t.Errorf("after Sync %d bytes of %s fsynced, want %d", got, ack, ackEntrySize)
	}
	mustAppend(t, s, "c")
	mustClose(t, s)
	seg := segName(1)
	fi, err := os.Stat(filepath.Join(dir, seg))
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.size(seg); got != fi.Size() {
		t.Errorf("after Close %d of %d bytes of %s fsynced", got, fi.Size(), seg)
	}
}

// AppendAll writes every record and covers them with one fsync, whatever
// the policy.
func TestAppendAllSyncsOnce(t *testing.T) {
	dir := t.TempDir()
	var rec syncRecorder
	var syncs int
	fsync := func(f logfs.File) error { syncs++; return rec.fsync(f) }
	s := mustOpen(t, dir, Options{Fsync: fsync, Sync: SyncPeriodic, SyncInterval: 1 << 40})
	mustAppend(t, s, "r1") // raises the ID bound: an fsync of its own
	before := syncs
	ids, err := s.AppendAll([][]byte{[]byte("r2"), []byte("r3"), []byte("r4")})
	if err != nil || len(ids) != 3 || ids[0] != 2 || ids[2] != 4 {
		t.Fatalf("AppendAll = %v, %v", ids, err)
	}
	if syncs-before != 1 {
		t.Errorf("%d fsyncs for one AppendAll, want 1", syncs-before)
	}
	fi, err := os.Stat(filepath.Join(dir, segName(1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.size(segName(1)); got != fi.Size() {
		t.Errorf("%d of %d bytes fsynced", got, fi.Size())
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(1, 2, 3, 4); !slices.Equal(got, w) {
		t.Errorf("Pending = %v, want %v", got, w)
	}
}
