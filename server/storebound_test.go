package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/wire"
)

// doHeader is do that also returns the Retry-After header.
func doHeader(t *testing.T, c *http.Client, method, url, body string) (reply, string) {
	t.Helper()
	r := do(t, c, method, url, body)
	return r, r.header.Get("Retry-After")
}

func errorKind(t *testing.T, body string) wire.ErrorKind {
	t.Helper()
	var e wire.Error
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Msg == "" {
		t.Fatalf("not the JSON error shape: %s", body)
	}
	return e.Kind
}

// TestStoreFullAnswers507 fills a service whose store is bounded: commands
// then get 507 with the JSON error shape and Retry-After, nothing accepted
// is dropped, and a check-in makes room again.
func TestStoreFullAnswers507(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, func(c *server.Config) { c.MaxStoreBytes = 256 << 10; c.Logger = discard() })
	pad := strings.Repeat("x", 900)
	accepted := 0
	var full reply
	var retry string
	for i := range 1000 {
		full, retry = doHeader(t, ts.client, "POST", ts.url+"/commands/event", fmt.Sprintf(`{"event":"fill.%d","metadata":{"pad":%q}}`, i, pad))
		if full.status != 200 {
			break
		}
		accepted++
	}
	if full.status != 507 || errorKind(t, full.body) != wire.ErrorStorageFull || retry != "600" {
		t.Fatalf("after %d accepted: %d %q (Retry-After %q), want 507 storage-full with Retry-After 600", accepted, full.status, full.body, retry)
	}
	if accepted == 0 {
		t.Fatal("nothing was accepted before the store was full")
	}
	got, retry := doHeader(t, ts.client, "POST", ts.url+"/commands/batch", batch(item("event", "", `{"event":"more","metadata":{"pad":"`+pad+`"}}`)))
	if got.status != 200 || !strings.Contains(got.body, `"status":507`) || retry != "600" {
		t.Errorf("batch when full: %d %s (Retry-After %q)", got.status, got.body, retry)
	}
	if n := len(collection(t, ts, "events")); n != accepted {
		t.Fatalf("%d events stored, %d accepted", n, accepted)
	}

	if got := do(t, ts.client, "POST", ts.url+"/commands/send", ""); got.status != 200 {
		t.Fatalf("check-in: %d %s", got.status, got.body)
	}
	var body struct {
		Analytics struct{ Events []json.RawMessage } `json:"self-service-analytics"`
	}
	if err := json.Unmarshal(<-up.got, &body); err != nil || len(body.Analytics.Events) != accepted {
		t.Fatalf("uploaded %d events (%v), accepted %d", len(body.Analytics.Events), err, accepted)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"after.checkin","metadata":{"pad":"`+pad+`"}}`); got.status != 200 {
		t.Errorf("after the check-in: %d %s", got.status, got.body)
	}
}

// TestStorageErrorAnswers503 closes the real store under the service:
// commands and collections get 503 in the JSON error shape with
// Retry-After.
func TestStorageErrorAnswers503(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "analytics.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, st, func(c *server.Config) { c.Logger = discard() })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/commands/event", `{"event":"x"}`},
		{"POST", "/commands/snapshot", `{"fields":{"a":1}}`},
		{"GET", "/collections/events", ""},
	} {
		got, retry := doHeader(t, ts.client, c.method, ts.url+c.path, c.body)
		if got.status != 503 || errorKind(t, got.body) != wire.ErrorStorage || retry != "10" {
			t.Errorf("%s %s: %d %s (Retry-After %q)", c.method, c.path, got.status, got.body, retry)
		}
	}
}

// stepClock is a clock a test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestKeyIndexBoundedUnderBatches sends 100 batches of 64 keyed events
// over mutual TLS while 12 hours pass between batches: the keys kept in
// the store file stay within what the 48-hour retention holds.
func TestKeyIndexBoundedUnderBatches(t *testing.T) {
	clock := &stepClock{t: fixedTime}
	dir := t.TempDir()
	ts := startServer(t, func(c *server.Config) { c.DataDir, c.Now = dir, clock.Now })
	const batches, size = 100, 64
	for b := range batches {
		items := make([]string, size)
		for i := range items {
			items[i] = item("event", fmt.Sprintf("b%d-%d", b, i), `{"event":"kept"}`)
		}
		if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...)); got.status != 200 {
			t.Fatalf("batch %d: %d %.200s", b, got.status, got.body)
		}
		clock.Advance(12 * time.Hour)
	}
	if err := ts.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, boltstore.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stats, err := st.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := stats.Keys
	// 48 h of batches 12 h apart is 4 live batches, and the one expiring.
	if limit := 5 * size; keys > limit {
		t.Errorf("%d keys kept after %d sent, more than %d", keys, batches*size, limit)
	}
}
