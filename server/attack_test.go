package server_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/loadgen"
	"github.com/analytics-client/analytics/server"
)

// Sizes of the attack the service must hold (issue 8): slow bodies that
// each declare 1 MiB, and idle TLS connections.
const (
	attackSlow     = 1000
	attackIdle     = 200
	attackDeclared = 1 << 20
	attackHeapMax  = 64 << 20
)

// TestHoldsSlowBodyAttack: 1,000 authenticated connections each declare a
// 1 MiB body and trickle it, and 200 more sit idle after their handshake;
// meanwhile a normal command is answered within 1 s, and the heap in use
// grows by less than 64 MiB from before the service started: the heap
// after a collection, sampled at each step, the attackers' side included
// (garbage a collection would free is not held by anyone; the daemon
// benchmark measures the resident set).
func TestHoldsSlowBodyAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,400 loopback connections")
	}
	if err := loadgen.RaiseFileLimit(2*(attackSlow+attackIdle) + 200); err != nil {
		t.Skip(err)
	}
	got := make(chan struct{}, attackSlow)
	peak := newHeapPeak()
	ts := startServer(t, func(c *server.Config) { c.Middleware = readWatch(33, got) })
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	a := loadgen.NewAttack(ts.srv.HTTPSAddr().String(), tc)
	defer a.Close()
	if err := a.Prime(ctx, ts.url); err != nil {
		t.Fatal(err)
	}
	if err := a.SlowBodies(ctx, attackSlow, ts.url+"/commands/event", attackDeclared, []byte(`{"event":"slow","metadata":{"p":"`)); err != nil {
		t.Fatal(err)
	}
	waitN(t, got, attackSlow, "slow bodies being read")
	peak.sample()
	if err := a.Idle(ctx, attackIdle); err != nil {
		t.Fatal(err)
	}
	if err := a.Trickle([]byte("xxxxxxxx")); err != nil {
		t.Fatal(err)
	}
	peak.sample()

	rctx, rcancel := context.WithTimeout(ctx, time.Second)
	defer rcancel()
	if status, err := postWithin(rctx, ts.newClient(t, true, true), ts.url+"/commands/event", `{"event":"normal"}`); err != nil || status != 200 {
		t.Fatalf("a normal command during the attack: %d %v", status, err)
	}
	peak.sample()
	if slow, idle := a.Open(); slow != attackSlow || idle != attackIdle {
		t.Fatalf("attack holds %d slow and %d idle connections", slow, idle)
	}
	peak.check(t)
}

// heapPeak keeps the largest heap in use sampled after a collection, and
// the heap in use when it was made: the tests of this package share one
// process, so a bound applies to what an attack adds.
type heapPeak struct{ base, max uint64 }

func newHeapPeak() *heapPeak {
	p := &heapPeak{}
	p.base = p.sample()
	return p
}

func (p *heapPeak) sample() uint64 {
	// Two collections: the first moves what sync.Pools hold (buffers of
	// connections an earlier test closed) to their victim caches, the
	// second frees them; one would leave tens of MiB in the base and
	// hide that much growth.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.max = max(p.max, ms.HeapInuse)
	return ms.HeapInuse
}

// check fails t when the heap grew by attackHeapMax or more.
func (p *heapPeak) check(t *testing.T) {
	t.Helper()
	grown := float64(p.max-min(p.base, p.max)) / (1 << 20)
	t.Logf("heap in use at most %.1f MiB, %.1f MiB over the %.1f MiB before", float64(p.max)/(1<<20), grown, float64(p.base)/(1<<20))
	if grown >= attackHeapMax>>20 && !raceEnabled {
		t.Errorf("heap in use grew by %.1f MiB, want under %d MiB", grown, attackHeapMax>>20)
	}
}

// postWithin POSTs body to url and reads the answer before ctx ends.
func postWithin(ctx context.Context, c *http.Client, url, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// TestHoldsHTTP2StreamAttack: 240 HTTP/2 streams that each declare a
// 1 MiB body and send 33 bytes hold what they sent, not what they declare
// (issue 8 measured 263 MB for 240 streams): the heap grows by less than
// 64 MiB, the attacking client's side included, and a normal command is
// answered within 1 s meanwhile. The streams are spread over connections
// of at most Config.MaxStreams each.
func TestHoldsHTTP2StreamAttack(t *testing.T) {
	const streams = 240
	got := make(chan struct{}, streams)
	peak := newHeapPeak()
	ts := startServer(t, func(c *server.Config) { c.Middleware = readWatch(33, got) })
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	if r, err := (&http.Client{Transport: tr}).Get(ts.url); err != nil || r.ProtoMajor != 2 {
		t.Fatalf("the attacking client does not speak HTTP/2: %v", err)
	} else {
		r.Body.Close()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	bodies := make([]*io.PipeWriter, streams)
	defer func() {
		for _, w := range bodies {
			w.CloseWithError(errors.New("attack over"))
		}
	}()
	for i := range bodies {
		pr, pw := io.Pipe()
		bodies[i] = pw
		req, err := http.NewRequest(http.MethodPost, ts.url+"/commands/event", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = attackDeclared
		wg.Go(func() {
			if resp, err := tr.RoundTrip(req); err == nil {
				resp.Body.Close()
			}
		})
		wg.Go(func() { _, _ = io.WriteString(pw, `{"event":"slow","metadata":{"p":"`) })
	}
	waitN(t, got, streams, "slow streams being read")
	peak.sample()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if status, err := postWithin(ctx, ts.newClient(t, true, true), ts.url+"/commands/event", `{"event":"normal"}`); err != nil || status != 200 {
		t.Fatalf("a normal command during the attack: %d %v", status, err)
	}
	peak.check(t)
}
