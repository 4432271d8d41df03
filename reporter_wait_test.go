package analytics_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/server/whitelist"
)

// A producer much faster than delivery (one goroutine, GOMAXPROCS 1, a
// queue of 16 KiB) loses nothing with EventWait: every event is accepted,
// none refused, and the service stores each exactly once.
func TestReporterEventWaitLosesNothing(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, mode := range []string{"memory", "durable"} {
		t.Run(mode, func(t *testing.T) {
			n := 100_000
			if raceEnabled || mode == "durable" { // the same path; fewer to keep the test short
				n = 10_000
			}
			srv := analyticstest.NewServer(t)
			opts := analytics.ReporterOptions{MaxBytes: 256 << 10}
			if mode == "durable" {
				opts.Dir, opts.Sync = t.TempDir(), analytics.SyncPeriodic
			}
			r := newReporter(t, newClient(t, srv.Config()), opts)
			ctx := waitCtx(t, 2*time.Minute)
			for i := range n {
				if err := r.EventWait(ctx, analytics.Event{Name: "test.wait", Metadata: analytics.Fields{"i": i}}); err != nil {
					t.Fatalf("EventWait %d: %v", i, err)
				}
			}
			if err := r.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			st := r.Stats()
			if st.Dropped[analytics.DropQueueFull] != 0 || st.Sent != uint64(n) {
				t.Errorf("stats = %+v, want %d sent and none refused", st, n)
			}
			want := make([]int, n)
			for i := range want {
				want[i] = i
			}
			assertEachOnce(t, eventIndexes(t, srv.Events()), want)
		})
	}
}

// EventWait gives up when its context ends: the error wraps ErrQueueFull
// and the context's error, and the refusal is counted.
func TestReporterEventWaitHonoursContext(t *testing.T) {
	cfg, _ := downService(t)
	r := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{MaxBytes: 200, Clock: newFakeClock()})
	ctx := context.Background()
	if err := r.EventWait(ctx, analytics.Event{Name: "test.fits"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	big := analytics.Event{Name: "test.big", Metadata: analytics.Fields{"x": strings.Repeat("x", 150)}}
	err := r.EventWait(ctx, big)
	if !errors.Is(err, analytics.ErrQueueFull) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("EventWait = %v, want ErrQueueFull and DeadlineExceeded", err)
	}
	if st := r.Stats(); st.Dropped[analytics.DropQueueFull] != 1 || st.QueueDepth != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// EventWait waiting for room returns ErrClosed when the reporter closes.
func TestReporterEventWaitEndsAtClose(t *testing.T) {
	cfg, _ := downService(t)
	r, err := analytics.NewReporter(newClient(t, cfg), analytics.ReporterOptions{MaxBytes: 200, Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	r.Event(analytics.Event{Name: "test.fits"})
	done := make(chan error, 1)
	go func() {
		done <- r.EventWait(context.Background(), analytics.Event{Name: "test.big", Metadata: analytics.Fields{"x": strings.Repeat("x", 150)}})
	}()
	closeNow(r)
	select {
	case err := <-done:
		if !errors.Is(err, analytics.ErrClosed) {
			t.Errorf("EventWait = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("EventWait still waiting 10s after Close")
	}
}

// Refusals are logged once per interval per reason, with their count, and
// counted in Stats; the count not yet logged is logged at Close.
func TestReporterLogsRefusalsOncePerInterval(t *testing.T) {
	cfg, _ := downService(t)
	clock := newFakeClock()
	var logs logBuffer
	r, err := analytics.NewReporter(newClient(t, cfg), analytics.ReporterOptions{MaxBytes: 100, Clock: clock, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	big := analytics.Event{Name: "test.big", Metadata: analytics.Fields{"x": strings.Repeat("x", 200)}}
	for range 1000 {
		if err := r.Event(big); !errors.Is(err, analytics.ErrQueueFull) {
			t.Fatalf("Event = %v, want ErrQueueFull", err)
		}
	}
	if got := strings.Count(logs.String(), "items refused"); got != 1 {
		t.Fatalf("%d refusal lines for 1000 refusals in one interval, want 1:\n%s", got, logs.String())
	}
	clock.Advance(time.Minute)
	r.Event(big) // a new interval: logged with the 999 held back and itself
	r.Event(big)
	closeNow(r)
	out := logs.String()
	for _, want := range []string{"refused=1 ", "refused=1000 ", "refused=1 "} {
		i := strings.Index(out, want)
		if i < 0 || !strings.Contains(out[:i+len(want)], "reason=queue-full") {
			t.Fatalf("no line with reason=queue-full and %q in order:\n%s", want, logs.String())
		}
		out = out[i+len(want):]
	}
	if st := r.Stats(); st.Dropped[analytics.DropQueueFull] != 1002 {
		t.Errorf("Dropped = %v, want 1002 queue-full", st.Dropped)
	}
}

// Items the service rejects are logged once a minute per reason, not once
// each: 200 rejected events make one WARN line.
func TestReporterDropLogIsThrottled(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{"test.listed": {Datatype: whitelist.DatatypeEvent}}))
	var logs logBuffer
	r := newReporter(t, newClient(t, srv.Config()), analytics.ReporterOptions{Logger: logs.logger(), Clock: newFakeClock()})
	for range 200 {
		if err := r.Event(analytics.Event{Name: "test.not-listed"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if st := r.Stats(); st.Dropped[analytics.DropRejected] != 200 {
		t.Fatalf("Dropped = %v, want 200 rejected", st.Dropped)
	}
	if n := strings.Count(logs.String(), "analytics: dropped event"); n != 1 {
		t.Errorf("%d WARN lines for 200 rejected events, want 1", n)
	}
}
