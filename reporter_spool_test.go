package analytics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// syncedSizes records, per file, its size when an fsync of it completed:
// what a power loss would keep.
type syncedSizes struct {
	mu   sync.Mutex
	size map[string]int64
}

func (s *syncedSizes) fsync(f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size == nil {
		s.size = make(map[string]int64)
	}
	s.size[f.Name()] = fi.Size()
	return nil
}

func (s *syncedSizes) get(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size[path]
}

// With SyncEach, Event returns only after an fsync covering the event's
// record has completed: every byte of the spool segment is synced.
func TestReporterEventReturnsAfterFsync(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dir := t.TempDir()
	var synced syncedSizes
	o := analytics.WithSpoolFsync(analytics.ReporterOptions{Dir: dir, Sync: analytics.SyncEach}, synced.fsync)
	r := newReporter(t, newClient(t, srv.Config()), o)
	for i := range 50 {
		if err := r.Event(analytics.Event{Name: "test.sync", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
		segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
		if len(segs) != 1 {
			t.Fatalf("segments %v, want one", segs)
		}
		fi, err := os.Stat(segs[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := synced.get(segs[0]); got != fi.Size() {
			t.Fatalf("Event %d returned with %d of %d segment bytes fsynced", i, got, fi.Size())
		}
	}
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
}

// downService is a service that is not running yet: a reporter's items wait
// for it. start brings it up at the same address, over the same TLS.
func downService(t *testing.T) (analytics.Config, func() *analyticstest.Server) {
	dir := t.TempDir()
	first := analyticstest.NewServer(t, analyticstest.WithDataDir(dir))
	cfg := first.Config()
	addr := strings.TrimPrefix(strings.TrimSuffix(first.URL, "/analytics"), "https://")
	first.Close()
	return cfg, func() *analyticstest.Server {
		return analyticstest.NewServer(t, analyticstest.WithDataDir(dir), analyticstest.WithAddr(addr))
	}
}

// reportRange reports events from..to-1 and fails the test on an error.
func reportRange(t *testing.T, r *analytics.Reporter, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := r.Event(analytics.Event{Name: "test.lost", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatalf("Event %d: %v", i, err)
		}
	}
}

func closeNow(r *analytics.Reporter) error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return r.Close(ctx)
}

// The spool directory is removed, or replaced by an empty one, while the
// reporter runs: the next Event notices, the reporter logs at ERROR,
// counts it, recreates the spool (0700, files 0600) with every pending
// item; a new reporter on the directory delivers all of them, once.
func TestReporterRecreatesLostSpool(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(dir string) error
	}{
		{"removed", os.RemoveAll},
		{"replaced", func(dir string) error {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			return os.Mkdir(dir, 0o755)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, start := downService(t)
			dir := filepath.Join(t.TempDir(), "spool")
			var logs logBuffer
			r, err := analytics.NewReporter(newClient(t, cfg), analytics.ReporterOptions{
				Dir: dir, Logger: logs.logger(), Clock: newFakeClock()})
			if err != nil {
				t.Fatal(err)
			}
			reportRange(t, r, 0, 200)
			if err := tc.lose(dir); err != nil {
				t.Fatal(err)
			}
			reportRange(t, r, 200, 400)
			if st := r.Stats(); st.SpoolLost != 1 || st.QueueDepth != 400 {
				t.Errorf("stats = %+v", st)
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "spool directory removed or replaced") {
				t.Errorf("the loss was not logged at ERROR:\n%s", logs.String())
			}
			if err := closeNow(r); err != nil {
				t.Fatalf("Close = %v", err)
			}
			assertPrivate(t, dir)

			srv := start()
			r2 := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Dir: dir})
			if err := r2.Flush(waitCtx(t, time.Minute)); err != nil {
				t.Fatal(err)
			}
			want := make([]int, 400)
			for i := range want {
				want[i] = i
			}
			assertEachOnce(t, eventIndexes(t, srv.Events()), want)
		})
	}
}

// assertPrivate checks that dir is 0700 and its files 0600.
func assertPrivate(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("spool directory mode %v, want 0700", fi.Mode().Perm())
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("spool directory: %v, %d files", err, len(entries))
	}
	for _, e := range entries {
		if info, err := e.Info(); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600 (%v)", e.Name(), info.Mode().Perm(), err)
		}
	}
}

// When the spool cannot be recreated, Event refuses with ErrSpoolLost and
// Close says how many items are not on disk, rather than claiming them kept.
func TestReporterSpoolLostForGood(t *testing.T) {
	cfg, _ := downService(t)
	dir := filepath.Join(t.TempDir(), "spool")
	r, err := analytics.NewReporter(newClient(t, cfg), analytics.ReporterOptions{Dir: dir, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	reportRange(t, r, 0, 10)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		err := r.Event(analytics.Event{Name: "test.lost"})
		if !errors.Is(err, analytics.ErrSpoolLost) {
			t.Fatalf("Event = %v, want ErrSpoolLost", err)
		}
	}
	if st := r.Stats(); st.SpoolLost != 1 || st.QueueDepth != 10 {
		t.Errorf("stats = %+v", st)
	}
	err = closeNow(r)
	if !errors.Is(err, analytics.ErrSpoolLost) || !strings.Contains(err.Error(), "10 pending items not on disk") {
		t.Errorf("Close = %v", err)
	}
}

// A loss that no Event noticed is noticed by Close, which writes the
// pending items to a recreated spool before saying they are kept: also
// those a worker has not taken yet, whose records only the lost spool's
// open files hold (more than a batch).
func TestReporterCloseNoticesLostSpool(t *testing.T) {
	cfg, start := downService(t)
	dir := filepath.Join(t.TempDir(), "spool")
	clock := newFakeClock()
	r, err := analytics.NewReporter(newClient(t, cfg), analytics.ReporterOptions{
		Dir: dir, Sync: analytics.SyncPeriodic, Workers: 1, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	reportRange(t, r, 0, 1)
	clock.waitSleepers(t, 1) // the worker holds event 0 and waits to retry
	reportRange(t, r, 1, 200)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := closeNow(r); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if st := r.Stats(); st.SpoolLost != 1 {
		t.Errorf("stats = %+v", st)
	}
	srv := start()
	r2 := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Dir: dir})
	if err := r2.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := make([]int, 200)
	for i := range want {
		want[i] = i
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), want)
}

// The spool directory is removed while the program makes no calls and the
// service is down: the spool's background check notices within its
// interval, the reporter logs at ERROR, counts it and writes the pending
// items to a recreated spool, so a crash afterwards loses none of them.
func TestReporterNoticesLostSpoolWhenIdle(t *testing.T) {
	cfg, start := downService(t)
	dir := filepath.Join(t.TempDir(), "spool")
	var logs logBuffer
	r, err := analytics.NewReporter(newClient(t, cfg), analytics.WithSpoolCheck(analytics.ReporterOptions{
		Dir: dir, Sync: analytics.SyncPeriodic, Logger: logs.logger(), Clock: newFakeClock()}, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	reportRange(t, r, 0, 1000)
	// Moved away in one step, so the check cannot see a half-removed one.
	if err := os.Rename(dir, dir+".gone"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir + ".gone"); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "spool directory removed or replaced")
	// The next call waits for the recreation, which holds the spool.
	reportRange(t, r, 1000, 1001)
	if st := r.Stats(); st.SpoolLost != 1 {
		t.Errorf("SpoolLost = %d, want 1", st.SpoolLost)
	}
	// A crash now: what is on disk is all a new reporter finds.
	crashed := filepath.Join(t.TempDir(), "crashed")
	copyDir(t, dir, crashed)
	closeNow(r)
	srv := start()
	r2 := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Dir: crashed})
	if err := r2.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := make([]int, 1000) // the last one was buffered (SyncPeriodic)
	for i := range want {
		want[i] = i
	}
	got := eventIndexes(t, srv.Events())
	delete(got, 1000)
	assertEachOnce(t, got, want)
}

// copyDir copies the regular files of src into a new directory dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// A durable event waiting in the queue keeps no copy of its record: the
// worker reads it back from the spool. A record damaged on disk meanwhile
// fails its checksum and is dropped (counted, logged, acknowledged), not
// sent changed; the others are delivered.
func TestReporterDropsRecordDamagedOnDisk(t *testing.T) {
	cfg, start := downService(t)
	dir := t.TempDir()
	clock := newFakeClock()
	var logs logBuffer
	r := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{
		Dir: dir, Workers: 1, Clock: clock, Logger: logs.logger()})
	reportRange(t, r, 0, 1)
	clock.waitSleepers(t, 1) // the worker holds event 0, loaded, and waits to retry
	reportRange(t, r, 1, 4)  // queued behind it, on disk only

	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v, %v", segs, err)
	}
	f, err := os.OpenFile(segs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(data, []byte(`"i":2`))
	if at < 0 {
		t.Fatalf("event 2 not found in %s", segs[0])
	}
	if _, err := f.WriteAt([]byte(`"i":7`), int64(at)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	srv := start()
	clock.run()
	if err := r.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), []int{0, 1, 3})
	if st := r.Stats(); st.Sent != 3 || st.Dropped[analytics.DropCorrupt] != 1 || st.QueueDepth != 0 {
		t.Errorf("stats = %+v", st)
	}
	if !strings.Contains(logs.String(), "reason=corrupt") || !strings.Contains(logs.String(), "damaged on disk") {
		t.Errorf("the drop was not logged with its reason:\n%s", logs.String())
	}
}
