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
// stays under 64 MiB: the live heap after a collection, sampled at each
// step, the attackers' side included (garbage a collection would free is
// not held by anyone; the daemon benchmark measures the resident set).
func TestHoldsSlowBodyAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,400 loopback connections")
	}
	if err := loadgen.RaiseFileLimit(2*(attackSlow+attackIdle) + 200); err != nil {
		t.Skip(err)
	}
	got := make(chan struct{}, attackSlow)
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
	var peak heapPeak
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
	t.Logf("heap in use at most %.1f MiB", float64(peak.max)/(1<<20))
	if peak.max >= attackHeapMax && !raceEnabled {
		t.Errorf("heap in use reached %.1f MiB, want under %d MiB", float64(peak.max)/(1<<20), attackHeapMax>>20)
	}
}

// heapPeak keeps the largest heap in use sampled after a collection.
type heapPeak struct{ max uint64 }

func (p *heapPeak) sample() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.max = max(p.max, ms.HeapInuse)
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
// (issue 8 measured 263 MB for 240 streams): the live heap stays under
// 64 MiB, the attacking client's side included (which keeps a send buffer
// per stream sized from the declared length: 12 to 30 MiB live here), and
// a normal command is answered within 1 s meanwhile. The streams are
// spread over connections of at most Config.MaxStreams each.
func TestHoldsHTTP2StreamAttack(t *testing.T) {
	const streams = 240
	got := make(chan struct{}, streams)
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
	var peak heapPeak
	peak.sample()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if status, err := postWithin(ctx, ts.newClient(t, true, true), ts.url+"/commands/event", `{"event":"normal"}`); err != nil || status != 200 {
		t.Fatalf("a normal command during the attack: %d %v", status, err)
	}
	t.Logf("heap in use at most %.1f MiB", float64(peak.max)/(1<<20))
	if peak.max >= attackHeapMax && !raceEnabled {
		t.Errorf("heap in use reached %.1f MiB with %d streams, want under %d MiB", float64(peak.max)/(1<<20), streams, attackHeapMax>>20)
	}
}
