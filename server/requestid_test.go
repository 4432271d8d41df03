package server_test

import (
	"encoding/json"
	"io"
	"log/slog"
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

// getWithID sends a request and returns the status, the X-Request-Id
// header and the body.
func getWithID(t *testing.T, c *http.Client, method, url string) (int, string, string) {
	t.Helper()
	r := do(t, c, method, url, "")
	return r.status, r.header.Get(wire.HeaderRequestID), r.body
}

// TestRequestIDs: every response has an id; a refusal and a server error
// carry it in the body, the log line with the detail names it, and the
// body has no Go error text.
func TestRequestIDs(t *testing.T) {
	var logs lockedBuffer
	ts := startServer(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		c.UpdateServerURL = "http://127.0.0.1:1" // nothing listens: the check-in fails
		c.CheckIn.Product = "puppetserver"
	})
	_, id1, _ := getWithID(t, ts.client, "GET", ts.url)
	_, id2, _ := getWithID(t, ts.client, "GET", ts.url)
	if id1 == "" || id2 == "" || id1 == id2 {
		t.Errorf("ids %q %q, want two different ones", id1, id2)
	}

	agent := issuedClient(t, ts, "agent.example.com")
	status, id, body := getWithID(t, agent, "GET", ts.url+"/collections/events")
	if status != 403 || id == "" || !strings.Contains(body, `"request-id":"`+id+`"`) {
		t.Errorf("403: %d %q %s", status, id, body)
	}
	if !logHas(t, &logs, "request refused", id) {
		t.Errorf("no refusal line with request-id %s", id)
	}

	status, id, body = getWithID(t, ts.client, "POST", ts.url+"/commands/send")
	if status != 500 || id == "" || !strings.Contains(body, `"request-id":"`+id+`"`) {
		t.Errorf("500: %d %q %s", status, id, body)
	}
	for _, internal := range []string{"dial", "connection refused", ".go", "tcp"} {
		if strings.Contains(body, internal) {
			t.Errorf("500 body carries %q: %s", internal, body)
		}
	}
	if !logHas(t, &logs, "check-in failed; entries kept for the next one", id) {
		t.Errorf("no check-in failure line with request-id %s", id)
	}
}

// logHas reports whether a JSON log line with msg names request id.
func logHas(t *testing.T, logs *lockedBuffer, msg, id string) bool {
	t.Helper()
	for _, l := range logs.lines(t, msg) {
		if l["request-id"] == id {
			return true
		}
	}
	return false
}

// TestRefusalsLoggedOncePerInterval: refusals are logged once per
// (certname, rule) per RefusalLogInterval, the next line counting those
// held back; another certname or rule gets its own line.
func TestRefusalsLoggedOncePerInterval(t *testing.T) {
	var logs lockedBuffer
	var mu sync.Mutex
	now := fixedTime
	ts := startServer(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	agent := issuedClient(t, ts, "agent.example.com")
	other := issuedClient(t, ts, "other.example.com")
	refuse := func(c *http.Client, path string) {
		t.Helper()
		if got := do(t, c, "GET", ts.url+path, ""); got.status != 403 {
			t.Fatalf("GET %s: %d", path, got.status)
		}
	}
	for range 5 {
		refuse(agent, "/collections/events")
	}
	refuse(agent, "/"+strings.Repeat("x", 5000)) // another rule
	refuse(other, "/collections/events")         // another certname
	if n := len(logs.lines(t, "request refused")); n != 3 {
		t.Fatalf("%d refusal lines after 7 refusals of 3 kinds, want 3:\n%s", n, logs.String())
	}
	for _, l := range logs.lines(t, "request refused") {
		if p, _ := l["path"].(string); len(p) > 300 {
			t.Errorf("refusal line with a %d-byte path", len(p))
		}
	}
	mu.Lock()
	now = now.Add(server.RefusalLogInterval)
	mu.Unlock()
	refuse(agent, "/collections/events")
	lines := logs.lines(t, "request refused")
	last := lines[len(lines)-1]
	if len(lines) != 4 || last["certname"] != "agent.example.com" || last["repeated"] != 4.0 {
		t.Errorf("after the interval: %d lines, last %v", len(lines), last)
	}
	if b, _ := json.Marshal(last); strings.Contains(string(b), "seed") {
		t.Errorf("log line carries data: %s", b)
	}
}

// TestStorageErrorCarriesRequestID: a 503 for a store that fails carries
// the request id and none of the store's error text.
func TestStorageErrorCarriesRequestID(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "analytics.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, st, func(c *server.Config) { c.Logger = discard() })
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", ts.url+"/commands/event", strings.NewReader(`{"event":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	id := resp.Header.Get(wire.HeaderRequestID)
	if resp.StatusCode != 503 || id == "" || !strings.Contains(string(body), `"request-id":"`+id+`"`) {
		t.Errorf("503: %d %q %s", resp.StatusCode, id, body)
	}
	for _, internal := range []string{"database", "bolt", "closed", ".db"} {
		if strings.Contains(string(body), internal) {
			t.Errorf("503 body carries %q: %s", internal, body)
		}
	}
}
