package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// A Retry-After is honoured up to MaxRetryAfter (default an hour), not a
// day: the scripted service asks for 86400 s.
func TestReporterCapsRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  time.Duration
		want time.Duration
	}{
		{"default", 0, analytics.DefaultMaxRetryAfter},
		{"option", 5 * time.Minute, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newRetryAfterPeer(t, "86400")
			clock := newFakeClock()
			r := newReporter(t, newClient(t, p.config()), analytics.ReporterOptions{Clock: clock, MaxRetryAfter: tc.max})
			r.Event(analytics.Event{Name: "a"})
			if waits := clock.waitSleepers(t, 1); waits[0] != tc.want {
				t.Fatalf("the retry waits %v, want %v", waits[0], tc.want)
			}
			clock.Advance(tc.want)
			if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
				t.Fatal(err)
			}
			if n := p.calls.Load(); n != 2 {
				t.Errorf("%d attempts, want 2", n)
			}
		})
	}
}

// A worker waiting out a Retry-After does not hold Close past its deadline.
func TestReporterCloseInterruptsRetryAfter(t *testing.T) {
	p := newRetryAfterPeer(t, "86400")
	r, err := analytics.NewReporter(newClient(t, p.config()), analytics.ReporterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.Event(analytics.Event{Name: "a"})
	select {
	case <-p.asked:
	case <-time.After(20 * time.Second):
		t.Fatal("the service was never asked")
	}
	err = closeWithin(t, r, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "1 items not delivered") {
		t.Errorf("Close = %v", err)
	}
}

// closeWithin runs Close with a deadline d away and returns its result; it
// fails the test if Close has not returned long after that deadline.
func closeWithin(t *testing.T, r *analytics.Reporter, d time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		done <- r.Close(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return by its deadline")
		return nil
	}
}

// awaitSignal waits for ch, failing the test after a generous deadline.
func awaitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatal(what + " did not happen")
	}
}

// Close returns by its deadline while OnOutcome blocks, naming it in the
// error; the callback's goroutine is left to finish on its own.
func TestReporterCloseDoesNotWaitForOnOutcome(t *testing.T) {
	srv := analyticstest.NewServer(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	r, err := analytics.NewReporter(newClient(t, srv.Config()), analytics.ReporterOptions{
		OnOutcome: func(analytics.Outcome) {
			entered <- struct{}{}
			<-release
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Event(analytics.Event{Name: "a"})
	awaitSignal(t, entered, "OnOutcome")
	err = closeWithin(t, r, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "an OnOutcome callback still running") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v", err)
	}
}

// The same for a ReportSnapshots function that ignores its context.
func TestReporterCloseDoesNotWaitForSnapshotFunc(t *testing.T) {
	srv := analyticstest.NewServer(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	clock := newFakeClock()
	r, err := analytics.NewReporter(newClient(t, srv.Config()), analytics.ReporterOptions{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	err = r.ReportSnapshots(time.Minute, func(context.Context) (analytics.Snapshot, error) {
		if calls.Add(1) > 1 { // the first call is made by ReportSnapshots itself
			entered <- struct{}{}
			<-release
		}
		return analytics.Snapshot{Fields: analytics.Fields{"test.x": 1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	clock.waitSleepers(t, 1)
	clock.Advance(time.Minute)
	awaitSignal(t, entered, "the periodic call")
	err = closeWithin(t, r, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "a ReportSnapshots function still running") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v", err)
	}
}

// Spooling a snapshot holds no lock that Stats, Event's queueing or the
// workers need while its fsync runs.
func TestReporterSnapshotFsyncHoldsNoQueueLock(t *testing.T) {
	var armed atomic.Bool
	entered, release := make(chan struct{}, 1), make(chan struct{})
	fsync := func(f *os.File) error {
		if armed.CompareAndSwap(true, false) {
			entered <- struct{}{}
			<-release
		}
		return f.Sync()
	}
	c := newClient(t, analytics.Config{URL: "http://" + closedAddr(t) + "/analytics"})
	o := analytics.WithSpoolFsync(analytics.ReporterOptions{Dir: t.TempDir(), Clock: newFakeClock()}, fsync)
	r := newReporter(t, c, o)
	if err := r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 1}}); err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	snapped := make(chan error, 1)
	go func() { snapped <- r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 2}}) }()
	awaitSignal(t, entered, "the snapshot's fsync")
	stats := make(chan analytics.ReporterStats, 1)
	go func() { stats <- r.Stats() }()
	select {
	case <-stats:
	case <-time.After(20 * time.Second):
		t.Error("Stats waited for a snapshot's fsync")
	}
	close(release)
	if err := <-snapped; err != nil {
		t.Fatal(err)
	}
}

// In memory mode, snapshots merged into the one waiting count toward
// MaxBytes: a merge that would pass it is refused (counted), and the queue
// stays within the bound; repeating the same fields does not grow it.
func TestReporterSnapshotMergeHoldsBound(t *testing.T) {
	cfg, _ := downService(t)
	r := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{MaxBytes: 4096, Clock: newFakeClock()})
	same := analytics.Snapshot{Fields: analytics.Fields{"test.same": strings.Repeat("s", 100)}}
	for range 100 {
		if err := r.Snapshot(same); err != nil {
			t.Fatalf("the same snapshot again: %v", err)
		}
	}
	refused := 0
	for i := range 200 {
		err := r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{fmt.Sprintf("test.f%03d", i): strings.Repeat("x", 50)}})
		if errors.Is(err, analytics.ErrQueueFull) {
			refused++
		} else if err != nil {
			t.Fatal(err)
		}
		if st := r.Stats(); st.QueueBytes > 4096 {
			t.Fatalf("after %d snapshots QueueBytes = %d, over MaxBytes 4096", i+1, st.QueueBytes)
		}
	}
	st := r.Stats()
	if refused == 0 || st.Dropped[analytics.DropQueueFull] != uint64(refused) {
		t.Errorf("%d refused, Dropped = %v: merges past the bound were not refused", refused, st.Dropped)
	}
}

// Flush waits for the OnOutcome callbacks of the items it waits for: while
// the callback of the only item blocks, Flush does not report it done, and
// once the callback returned Flush returns nil.
func TestReporterFlushWaitsForOnOutcome(t *testing.T) {
	srv := analyticstest.NewServer(t)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var called atomic.Bool
	r := newReporter(t, newClient(t, srv.Config()), analytics.ReporterOptions{
		OnOutcome: func(analytics.Outcome) {
			entered <- struct{}{}
			<-release
			called.Store(true)
		},
	})
	if err := r.Event(analytics.Event{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	awaitSignal(t, entered, "OnOutcome")
	// The item is delivered, but its callback has not returned.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "1 items still pending") {
		t.Fatalf("Flush while OnOutcome runs = %v, want 1 item pending past the deadline", err)
	}
	close(release)
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if !called.Load() {
		t.Error("Flush returned nil before the OnOutcome callback returned")
	}
}

// With several workers, each Flush sees the outcome of every item accepted
// before it, the last one included.
func TestReporterFlushSeesEveryOutcome(t *testing.T) {
	srv := analyticstest.NewServer(t)
	var outcomes atomic.Int64
	r := newReporter(t, newClient(t, srv.Config()), analytics.ReporterOptions{
		Workers:   4,
		OnOutcome: func(analytics.Outcome) { outcomes.Add(1) },
	})
	for i := range 20 {
		if err := r.Event(analytics.Event{Name: "a", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
		if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
			t.Fatal(err)
		}
		if got := outcomes.Load(); got != int64(i+1) {
			t.Fatalf("after Flush of event %d: %d outcomes, want %d", i, got, i+1)
		}
	}
}
