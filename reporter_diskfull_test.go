package analytics_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
)

// diskFault is the spool's write seam failing as a full (ENOSPC) or
// read-only (EROFS) disk does, until cleared; the writes themselves are
// real. ackWritten is closed at the first ack write that succeeds after
// the fault is cleared.
type diskFault struct {
	mu         sync.Mutex
	err        error
	cleared    bool
	ackWritten chan struct{}
}

func newDiskFault() *diskFault { return &diskFault{ackWritten: make(chan struct{})} }

func (d *diskFault) set(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.err, d.cleared = err, err == nil
}

func (d *diskFault) write(f *os.File, b []byte, off int64) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, &fs.PathError{Op: "write", Path: f.Name(), Err: d.err}
	}
	var n int
	var err error
	if off < 0 {
		n, err = f.Write(b)
	} else {
		n, err = f.WriteAt(b, off)
	}
	if err == nil && d.cleared && strings.HasSuffix(f.Name(), ".ack") {
		d.cleared = false
		close(d.ackWritten)
	}
	return n, err
}

// The spool's disk is full, then read-only, then has room again: events
// reported meanwhile are refused (an error, counted with a reason, never
// delivered); items delivered meanwhile cannot be acknowledged, which is
// logged once, not per item, and retried, so once space returns the
// spool shrinks and a restart sends nothing again.
func TestReporterSpoolDiskFull(t *testing.T) {
	for _, fault := range []syscall.Errno{syscall.ENOSPC, syscall.EROFS} {
		t.Run(fault.Error(), func(t *testing.T) {
			cfg, start := downService(t)
			dir := filepath.Join(t.TempDir(), "spool")
			disk := newDiskFault()
			var logs logBuffer
			opts := analytics.WithSpoolCheck(analytics.WithSpoolWrite(analytics.ReporterOptions{
				Dir: dir, Logger: logs.logger(), Workers: 1,
				Backoff: analytics.ExponentialBackoff(time.Millisecond, 10*time.Millisecond)}, disk.write), 10*time.Millisecond)
			r := newReporter(t, newClient(t, cfg), opts)
			reportRange(t, r, 0, 300)

			disk.set(fault)
			for i := 1000; i < 1010; i++ {
				err := r.Event(analytics.Event{Name: "test.lost", Metadata: analytics.Fields{"i": i}})
				if !errors.Is(err, fault) {
					t.Fatalf("Event on a full disk = %v, want %v", err, fault)
				}
			}
			if st := r.Stats(); st.Dropped[analytics.DropSpoolError] != 10 {
				t.Errorf("Dropped = %v, want 10 %s", st.Dropped, analytics.DropSpoolError)
			}
			srv := start()
			if err := r.Flush(waitCtx(t, time.Minute)); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(logs.String(), "cannot record deliveries"); n != 1 {
				t.Errorf("%d WARN lines about unwritten acks for 300 items, want 1:\n%s", n, logs.String())
			}

			disk.set(nil)
			select {
			case <-disk.ackWritten: // the background retry, with no call made
			case <-time.After(10 * time.Second):
				t.Fatal("the acks were not retried within 10s of the disk having room")
			}
			// A crash now: a new reporter on what is on disk sends nothing.
			crashed := filepath.Join(t.TempDir(), "crashed")
			copyDir(t, dir, crashed)
			r2 := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Dir: crashed})
			if err := r2.Flush(waitCtx(t, time.Minute)); err != nil {
				t.Fatal(err)
			}
			if st := r2.Stats(); st.Enqueued != 0 {
				t.Errorf("after the restart %d items were queued again, want 0", st.Enqueued)
			}
			want := make([]int, 300)
			for i := range want {
				want[i] = i
			}
			assertEachOnce(t, eventIndexes(t, srv.Events()), want) // and none of the refused ones
		})
	}
}
