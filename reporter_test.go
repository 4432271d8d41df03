package analytics_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server/whitelist"
)

// fastRetry keeps outage tests short: retries start at 5 ms and cap at 100 ms.
func fastRetry(o analytics.ReporterOptions) analytics.ReporterOptions {
	o.Backoff = analytics.ExponentialBackoff(5*time.Millisecond, 100*time.Millisecond)
	o.MaxBackoff = 100 * time.Millisecond
	return o
}

func newReporter(t *testing.T, c *analytics.Client, o analytics.ReporterOptions) *analytics.Reporter {
	t.Helper()
	r, err := analytics.NewReporter(c, o)
	if err != nil {
		t.Fatalf("NewReporter: %v", err)
	}
	t.Cleanup(func() {
		// Tests flush what they need; whatever is left when one ends is
		// not waited for.
		ended, stop := context.WithCancel(context.Background())
		stop()
		r.Close(ended)
	})
	return r
}

// eventIndexes returns how often each metadata "i" arrived.
func eventIndexes(t *testing.T, evs []analytics.EventResult) map[int]int {
	t.Helper()
	seen := make(map[int]int, len(evs))
	for _, e := range evs {
		n, err := strconv.Atoi(fmt.Sprint(e.Metadata["i"]))
		if err != nil {
			t.Fatalf("event without index: %+v", e)
		}
		seen[n]++
	}
	return seen
}

func assertEachOnce(t *testing.T, seen map[int]int, want []int) {
	t.Helper()
	for _, i := range want {
		if seen[i] != 1 {
			t.Errorf("event %d arrived %d times", i, seen[i])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("%d distinct events arrived, want %d", len(seen), len(want))
	}
}

func waitCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Fault 1: the service is down while 10,000 events are reported; once it
// starts, Flush sees every one delivered, none twice. The service starts
// only after a worker has failed an attempt and waits to retry it.
func TestReporterDeliversEverythingAfterOutage(t *testing.T) {
	dir := t.TempDir()
	first := analyticstest.NewServer(t, analyticstest.WithDataDir(dir))
	cfg := first.Config()
	addr := strings.TrimPrefix(strings.TrimSuffix(first.URL, "/analytics"), "https://")
	first.Close() // the service is down

	c := newClient(t, cfg)
	clock := newFakeClock()
	r := newReporter(t, c, analytics.ReporterOptions{Clock: clock})
	const n = 10000
	for i := range n {
		if err := r.Event(analytics.Event{Name: "test.outage", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatalf("Event %d: %v", i, err)
		}
	}
	clock.waitSleepers(t, 1) // an attempt failed; its retry waits on the clock
	if st := r.Stats(); st.Enqueued != n || st.Sent != 0 || st.Retried == 0 {
		t.Fatalf("before the service starts: %+v", st)
	}

	srv := analyticstest.NewServer(t, analyticstest.WithDataDir(dir), analyticstest.WithAddr(addr))
	clock.run()
	if err := r.Flush(waitCtx(t, 2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), want)
	if st := r.Stats(); st.Sent != n || st.QueueDepth != 0 {
		t.Errorf("stats after flush: %+v", st)
	}
}

// Fault 2: a reporter in a child process, durable with a sync per enqueue,
// is killed with SIGKILL; a new reporter on the same directory delivers
// every event whose enqueue had returned, none twice.
func TestReporterSurvivesSIGKILL(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	spoolDir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestReporterChild$", "-test.v=false")
	cmd.Env = append(os.Environ(),
		"ANALYTICS_REPORTER_CHILD="+spoolDir,
		"ANALYTICS_URL="+cfg.URL, "ANALYTICS_SSL_CERT="+cfg.SSL.CertFile,
		"ANALYTICS_SSL_KEY="+cfg.SSL.KeyFile, "ANALYTICS_SSL_CA_CERT="+cfg.SSL.CAFile)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const n = 300
	var acked []int
	sc := bufio.NewScanner(out)
	for len(acked) < n && sc.Scan() {
		if i, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "enqueued ")); err == nil {
			acked = append(acked, i)
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	io.Copy(io.Discard, out)
	cmd.Wait()
	if len(acked) < n {
		t.Fatalf("child reported only %d enqueues", len(acked))
	}

	c := newClient(t, cfg)
	r := newReporter(t, c, analytics.ReporterOptions{Dir: spoolDir})
	if err := r.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	seen := eventIndexes(t, srv.Events())
	for _, i := range acked {
		if seen[i] != 1 {
			t.Errorf("event %d, acknowledged by the child, arrived %d times", i, seen[i])
		}
	}
	for i, k := range seen {
		if k > 1 {
			t.Errorf("event %d arrived %d times", i, k)
		}
	}
}

// TestReporterChild is the child of TestReporterSurvivesSIGKILL: it enqueues
// events forever, printing each index once Event has returned.
func TestReporterChild(t *testing.T) {
	dir := os.Getenv("ANALYTICS_REPORTER_CHILD")
	if dir == "" {
		t.Skip("runs only as the child of TestReporterSurvivesSIGKILL")
	}
	c, err := analytics.New(analytics.Config{URL: os.Getenv("ANALYTICS_URL"), SSL: &analytics.SSLOpts{
		CertFile: os.Getenv("ANALYTICS_SSL_CERT"), KeyFile: os.Getenv("ANALYTICS_SSL_KEY"), CAFile: os.Getenv("ANALYTICS_SSL_CA_CERT")}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{Dir: dir, Sync: analytics.SyncEach})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		if err := r.Event(analytics.Event{Name: "test.crash", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("enqueued %d\n", i)
	}
}

// Fault 3: garbage after the last record of the spool is detected and
// skipped; everything before it is delivered.
func TestReporterSkipsTornSpoolTail(t *testing.T) {
	srv := analyticstest.NewServer(t)
	c := newClient(t, srv.Config())
	spoolDir := t.TempDir()

	down := newClient(t, analytics.Config{URL: "http://" + closedAddr(t) + "/analytics"})
	r1, err := analytics.NewReporter(down, analytics.ReporterOptions{Dir: spoolDir, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := range n {
		if err := r1.Event(analytics.Event{Name: "test.torn", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r1.Close(ctx); err != nil {
		t.Fatalf("durable Close: %v", err)
	}
	segs, _ := filepath.Glob(filepath.Join(spoolDir, "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no spool segment on disk")
	}
	f, err := os.OpenFile(segs[len(segs)-1], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x20, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 'g', 'a', 'r', 'b', 'a', 'g', 'e'})
	f.Close()

	var logs logBuffer
	r2 := newReporter(t, c, analytics.ReporterOptions{Dir: spoolDir, Logger: logs.logger()})
	if err := r2.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), want)
	if !strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("the damaged tail was not logged:\n%s", logs.String())
	}
}

func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Fault 4a: a 422 is dropped with its reason and never retried.
func TestReporterDrops422WithoutRetry(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{
		"test.listed": {Datatype: "event"},
	}))
	c := newClient(t, srv.Config())
	var mu sync.Mutex
	var outcomes []analytics.Outcome
	r := newReporter(t, c, analytics.ReporterOptions{OnOutcome: func(o analytics.Outcome) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}})
	r.Event(analytics.Event{Name: "test.not-listed"})
	r.Event(analytics.Event{Name: "test.listed"})
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.Dropped[analytics.DropRejected] != 1 || st.Retried != 0 || st.Sent != 1 {
		t.Errorf("stats = %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	var dropped *analytics.Outcome
	for i := range outcomes {
		if outcomes[i].Dropped != "" {
			dropped = &outcomes[i]
		}
	}
	var rej *analytics.RejectedError
	if dropped == nil || dropped.Dropped != analytics.DropRejected || dropped.Attempts != 1 ||
		!errors.As(dropped.Err, &rej) || rej.Rejected["test.not-listed"] != whitelist.ReasonNotExpectedEvent {
		t.Errorf("outcome = %+v", dropped)
	}
	if got := len(srv.Events()); got != 1 {
		t.Errorf("%d events stored, want 1", got)
	}
}

// Fault 4b: a 503 with Retry-After: 1 is retried after exactly the second
// asked for, on the reporter's clock. A real service cannot be made to
// answer 503 on demand, so a scripted peer does.
func TestReporterHonoursRetryAfter(t *testing.T) {
	p := newRetryAfterPeer(t, "1")
	clock := newFakeClock()
	r := newReporter(t, newClient(t, p.config()), analytics.ReporterOptions{Clock: clock})
	r.Event(analytics.Event{Name: "a"})
	if waits := clock.waitSleepers(t, 1); waits[0] != time.Second {
		t.Errorf("the retry waits %v, want the 1 s the service asked for", waits[0])
	}
	clock.Advance(time.Second - time.Millisecond)
	if clock.pending() != 1 || p.calls.Load() != 1 {
		t.Fatalf("retried before the second was over: %d attempts", p.calls.Load())
	}
	clock.Advance(time.Millisecond)
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if n := p.calls.Load(); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}
	if st := r.Stats(); st.Retried != 1 || st.Sent != 1 {
		t.Errorf("stats = %+v", st)
	}
}

// retryAfterPeer answers the first event command with 503 and a
// Retry-After header, later ones with 200, over mutual TLS.
type retryAfterPeer struct {
	*peer
	calls atomic.Int32
	asked chan struct{} // closed at the first event command
}

func newRetryAfterPeer(t *testing.T, retryAfter string) *retryAfterPeer {
	p := &retryAfterPeer{asked: make(chan struct{})}
	p.peer = newPeer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, entrypointJSON("https://"+r.Host))
			return
		}
		if r.URL.Path != "/analytics/commands/event" {
			http.NotFound(w, r) // as the JVM service answers a batch
			return
		}
		if p.calls.Add(1) == 1 {
			defer close(p.asked)
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"event":"a","timestamp":"2026-11-29T18:56:39.790Z"}`)
	}))
	return p
}

// Fault 5: Close with an expired context returns at once with the count of
// what memory mode could not deliver.
func TestReporterCloseExpiredContext(t *testing.T) {
	c := newClient(t, analytics.Config{URL: "http://" + closedAddr(t) + "/analytics"})
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := r.Event(analytics.Event{Name: "a", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = r.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "5 items not delivered") || !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v", err)
	}
	if st := r.Stats(); st.Dropped[analytics.DropShutdown] != 5 {
		t.Errorf("stats = %+v", st)
	}
	if err := r.Event(analytics.Event{Name: "a"}); !errors.Is(err, analytics.ErrClosed) {
		t.Errorf("Event after Close = %v", err)
	}
}

func TestReporterQueueFull(t *testing.T) {
	c := newClient(t, analytics.Config{URL: "http://" + closedAddr(t) + "/analytics"})
	r := newReporter(t, c, analytics.ReporterOptions{MaxBytes: 1000})
	var full int
	for i := range 100 {
		err := r.Event(analytics.Event{Name: "test.full", Metadata: analytics.Fields{"i": i}})
		if errors.Is(err, analytics.ErrQueueFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if full == 0 {
		t.Fatal("a 1000-byte queue took 100 events")
	}
	if st := r.Stats(); st.Dropped[analytics.DropQueueFull] != uint64(full) || st.QueueBytes > 1000 {
		t.Errorf("stats = %+v, full = %d", st, full)
	}
}

func TestReporterValidates(t *testing.T) {
	c := newClient(t, analytics.Config{URL: "http://" + closedAddr(t) + "/analytics"})
	r := newReporter(t, c, analytics.ReporterOptions{})
	var ve *analytics.ValidationError
	if err := r.Event(analytics.Event{}); !errors.As(err, &ve) {
		t.Errorf("Event{} = %v", err)
	}
	if err := r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": nil}}); !errors.As(err, &ve) || ve.Path != "fields.a" {
		t.Errorf("nil field = %v", err)
	}
	if st := r.Stats(); st.Enqueued != 0 {
		t.Errorf("invalid items enqueued: %+v", st)
	}
}

// Snapshots waiting during an outage merge: newest value per field wins.
func TestReporterCoalescesSnapshots(t *testing.T) {
	dir := t.TempDir()
	first := analyticstest.NewServer(t, analyticstest.WithDataDir(dir))
	cfg := first.Config()
	addr := strings.TrimPrefix(strings.TrimSuffix(first.URL, "/analytics"), "https://")
	first.Close()

	c := newClient(t, cfg)
	clock := newFakeClock()
	r := newReporter(t, c, analytics.ReporterOptions{Workers: 1, Clock: clock})
	r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 0}})
	// The single worker failed to send the first snapshot and waits to
	// retry it, so the next three all wait in the queue.
	clock.waitSleepers(t, 1)
	r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 1, "b": "x"}})
	r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 2}})
	r.Snapshot(analytics.Snapshot{Fields: analytics.Fields{"a": 3, "c": true}})
	if st := r.Stats(); st.Coalesced != 2 || st.QueueDepth != 2 {
		t.Fatalf("stats = %+v", st)
	}

	srv := analyticstest.NewServer(t, analyticstest.WithDataDir(dir), analyticstest.WithAddr(addr))
	clock.run()
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	snaps := srv.Snapshots()
	if len(snaps) != 2 {
		t.Fatalf("%d snapshots stored, want 2", len(snaps))
	}
	last := snaps[1]
	if last["a"].Value != json.Number("3") || last["b"].Value != "x" || last["c"].Value != true {
		t.Errorf("merged snapshot = %+v", last)
	}
}

func TestReportSnapshotsPeriodically(t *testing.T) {
	srv := analyticstest.NewServer(t)
	c := newClient(t, srv.Config())
	clock := newFakeClock()
	r := newReporter(t, c, analytics.ReporterOptions{Clock: clock})
	var n atomic.Int64
	err := r.ReportSnapshots(time.Hour, func(ctx context.Context) (analytics.Snapshot, error) {
		return analytics.Snapshot{Fields: analytics.Fields{"test.tick": n.Add(1)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Load(); got != 1 {
		t.Fatalf("%d calls before the first interval, want the one made at once", got)
	}
	// Each snapshot is stored before the next interval ends; otherwise it
	// would still be queued and absorb the next one.
	for stored := 1; ; stored++ {
		if _, err := srv.WaitSnapshots(waitCtx(t, 30*time.Second), stored); err != nil {
			t.Fatal(err)
		}
		if stored == 3 {
			break
		}
		if waits := clock.waitSleepers(t, 1); waits[0] != time.Hour {
			t.Fatalf("the next call waits %v, want the interval", waits[0])
		}
		clock.Advance(time.Hour)
	}
	if err := r.Close(waitCtx(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := r.ReportSnapshots(time.Second, nil); !errors.Is(err, analytics.ErrClosed) {
		t.Errorf("ReportSnapshots after Close = %v", err)
	}
}

// A service without the batch extension (the JVM service answers 404 to it)
// gets every item as a single command, once.
func TestReporterFallsBackToSingleCommands(t *testing.T) {
	s := &scripted{status: 200, body: `{"event":"a","timestamp":"2026-11-29T18:56:39.790Z"}`}
	c := newClient(t, newPeer(t, s).config())
	r := newReporter(t, c, analytics.ReporterOptions{})
	const n = 50
	for i := range n {
		if err := r.Event(analytics.Event{Name: "test.single", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]int{}
	for _, p := range s.posts {
		var ev struct {
			Metadata struct{ I json.Number } `json:"metadata"`
		}
		if p.path != "/analytics/commands/event" || json.Unmarshal(p.body, &ev) != nil || p.idemKey == "" {
			t.Fatalf("unexpected command %s %s", p.path, p.body)
		}
		seen[ev.Metadata.I.String()]++
	}
	if len(seen) != n || len(s.posts) != n {
		t.Errorf("%d commands for %d distinct events, want %d of each", len(s.posts), len(seen), n)
	}
	if st := r.Stats(); st.Sent != n || st.Retried != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// Against our service, queued items travel in batches; each is stored once
// and a whitelist refusal drops only its own item.
func TestReporterBatchesWithPerItemOutcomes(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{
		"test.listed": {Datatype: "event"},
	}))
	c := newClient(t, srv.Config())
	var dropped atomic.Int32
	r := newReporter(t, c, analytics.ReporterOptions{Workers: 1, OnOutcome: func(o analytics.Outcome) {
		if o.Dropped == analytics.DropRejected {
			dropped.Add(1)
		}
	}})
	const n = 300
	for i := range n {
		name := "test.listed"
		if i%100 == 7 {
			name = "test.unlisted"
		}
		if err := r.Event(analytics.Event{Name: name, Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(waitCtx(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	var want []int
	for i := range n {
		if i%100 != 7 {
			want = append(want, i)
		}
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), want)
	if st := r.Stats(); st.Sent != n-3 || st.Dropped[analytics.DropRejected] != 3 || dropped.Load() != 3 {
		t.Errorf("stats = %+v, outcomes dropped = %d", st, dropped.Load())
	}
}

// A certificate the reporter cannot verify is a configuration problem: the
// data is kept, the problem logged at ERROR, and Flush reports what is
// still pending when its deadline passes.
func TestReporterKeepsDataOnTLSFailure(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	other, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg.SSL.CAFile = other.CACert // trusts another CA than the service's
	logs := newLogWaiter()
	cfg.Logger = logs.logger()
	c := newClient(t, cfg)
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{Workers: 1, Logger: logs.logger()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		r.Event(analytics.Event{Name: "test.tls", Metadata: analytics.Fields{"i": i}})
	}
	// The first attempt has failed and been logged before Flush's
	// deadline is set, however slow the machine.
	logs.await(t, "configuration problem")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err = r.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "3 items still pending") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush = %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("no ERROR about the configuration:\n%s", logs.String())
	}
	if st := r.Stats(); st.QueueDepth != 3 || len(st.Dropped) != 0 {
		t.Errorf("stats = %+v", st)
	}
	ended, stop := context.WithCancel(context.Background())
	stop()
	if err := r.Close(ended); err == nil || !strings.Contains(err.Error(), "3 items not delivered") {
		t.Errorf("Close = %v", err)
	}
	if n := len(srv.Events()); n != 0 {
		t.Errorf("%d events stored through an untrusted connection", n)
	}
}

func TestExponentialBackoff(t *testing.T) {
	b := analytics.ExponentialBackoff(10*time.Millisecond, time.Second)
	for attempt, ceiling := range map[int]time.Duration{
		1: 10 * time.Millisecond, 2: 20 * time.Millisecond, 5: 160 * time.Millisecond,
		8: time.Second, 100: time.Second, 0: time.Second,
	} {
		seen := map[time.Duration]bool{}
		low := 0
		for range 200 {
			d := b(attempt)
			if d <= 0 || d > ceiling {
				t.Fatalf("attempt %d waited %v, want (0, %v]", attempt, d, ceiling)
			}
			seen[d] = true
			if d <= ceiling/2 {
				low++
			}
		}
		// Full jitter: waits spread over the whole range, so reporters
		// that failed together do not retry together.
		if len(seen) < 150 || low < 50 || low > 150 {
			t.Errorf("attempt %d: %d distinct waits of 200, %d in the lower half: not spread over (0, %v]",
				attempt, len(seen), low, ceiling)
		}
	}
}
