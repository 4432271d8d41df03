package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/server"
)

func TestAdminAddrMustBeLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "10.1.2.3:8141", "example.com:8141", ":8141", "8141"} {
		_, err := server.New(server.Config{DataDir: t.TempDir(), AdminAddr: addr})
		var ce *server.ConfigError
		if !errors.As(err, &ce) || ce.Field != "AdminAddr" {
			t.Errorf("%q: %v", addr, err)
		}
	}
}

// TestAdminListener serves the operator endpoints over plain HTTP to
// loopback users, and nothing else.
func TestAdminListener(t *testing.T) {
	ts := startServer(t, func(c *server.Config) {
		c.AdminAddr = "127.0.0.1:0"
		c.HTTPAddr = "" // the admin listener is not taken for the plain one
	})
	if ts.srv.HTTPAddr() != nil {
		t.Errorf("HTTPAddr %v with only HTTPS and admin listeners", ts.srv.HTTPAddr())
	}
	base := "http://" + ts.srv.AdminAddr().String()
	if ts.srv.AdminURL() != base+"/view" {
		t.Errorf("AdminURL %s", ts.srv.AdminURL())
	}
	c := &http.Client{}
	for path, ctype := range map[string]string{"/status": "application/json", "/checkin/preview": "application/json",
		"/view": "text/html", "/view/live": "application/json", "/metrics": "text/plain"} {
		if got := do(t, c, "GET", base+path, ""); got.status != 200 || !strings.HasPrefix(got.ctype, ctype) {
			t.Errorf("GET %s: %d %s", path, got.status, got.ctype)
		}
	}
	for _, r := range [][2]string{{"POST", "/commands/event"}, {"GET", "/collections/events"},
		{"GET", "/analytics/status"}, {"GET", "/nope"}} {
		if got := do(t, c, r[0], base+r[1], `{"event":"e"}`); got.status != 404 {
			t.Errorf("%s %s: %d", r[0], r[1], got.status)
		}
	}
	// The paths it serves, asked with another method: 405 and Allow.
	for _, r := range [][2]string{{"POST", "/status"}, {"DELETE", "/view"}, {"PUT", "/metrics"}, {"POST", "/"}} {
		req, _ := http.NewRequest(r[0], base+r[1], strings.NewReader("{}"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
			t.Errorf("%s %s: %d, Allow %q; want 405, GET", r[0], r[1], resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	// The root leads to the page.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/view" {
		t.Errorf("GET /: %d, Location %q; want 302 to /view", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := do(t, c, "GET", base+"/", ""); got.status != 200 || !strings.HasPrefix(got.ctype, "text/html") {
		t.Errorf("GET / followed: %d %s, want the page", got.status, got.ctype)
	}
	// A page elsewhere reaching the listener through its own DNS name.
	for host, want := range map[string]int{"attacker.example:80": 403, "127.0.0.2.attacker.example": 403,
		"localhost": 200, "LOCALHOST:1": 200, "[::1]:8141": 200, "127.0.0.1": 200} {
		req, _ := http.NewRequest("GET", base+"/status", nil)
		req.Host = host
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || (want == 403 && strings.Contains(string(body), "checkin")) {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
}

// lockedBuffer is a log destination shared by the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the JSON log lines whose msg is msg.
func (b *lockedBuffer) lines(t *testing.T, msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

func TestAccessLog(t *testing.T) {
	var logs lockedBuffer
	ts := startServer(t, func(c *server.Config) {
		c.AccessLog = true
		c.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	raw, err := ts.client.Post(ts.url+"/commands/event", "application/json", strings.NewReader(`{"event":"logged"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(raw.Body)
	raw.Body.Close()
	resp := reply{status: raw.StatusCode, body: string(body)}
	long := "/" + strings.Repeat("x", 5000)
	do(t, ts.client, "GET", ts.url+long, "")
	plain := &http.Client{}
	do(t, plain, "GET", ts.http+"/status", "")
	// Requests on one connection are handled in turn: these make sure
	// the lines of the ones before are written.
	do(t, ts.client, "GET", ts.url, "")
	do(t, plain, "GET", ts.http, "")
	lines := logs.lines(t, "request")
	if len(lines) < 3 {
		t.Fatalf("access log: %v", lines)
	}
	ev, lg, st := lines[0], lines[1], lines[2]
	if ev["certname"] != "analytics-client" || ev["method"] != "POST" || ev["path"] != "/analytics/commands/event" ||
		ev["status"] != 200.0 || ev["bytes"] != float64(len(resp.body)) || ev["duration"] == nil || ev["id"] != raw.Header.Get("X-Request-Id") || ev["id"] == "" {
		t.Errorf("event line %v", ev)
	}
	if p, _ := lg["path"].(string); lg["status"] != 403.0 || len(p) > 300 || !strings.HasSuffix(p, "...") {
		t.Errorf("long path line %v", lg)
	}
	if st["certname"] != "-" || st["path"] != "/analytics/status" || st["id"] == ev["id"] {
		t.Errorf("plain line %v", st)
	}
}

func TestAccessLogOffByDefault(t *testing.T) {
	var logs lockedBuffer
	ts := startServer(t, func(c *server.Config) { c.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`)
	do(t, ts.client, "GET", ts.url, "")
	if l := logs.lines(t, "request"); len(l) != 0 {
		t.Errorf("access log lines without AccessLog: %v", l)
	}
}
