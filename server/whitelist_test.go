package server_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/whitelist"
)

func TestWhitelistFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wl.json")
	if err := os.WriteFile(path, []byte(`{"ok":{"datatype":"event"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *server.Config) { c.WhitelistFile = path })
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"nope"}`); got.status != 422 {
		t.Errorf("unlisted event: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"ok"}`); got.status != 200 {
		t.Errorf("listed event: %d %s", got.status, got.body)
	}

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"x":{"datatype":"nope"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{bad, filepath.Join(t.TempDir(), "missing.json")} {
		_, err := server.New(server.Config{DataDir: t.TempDir(), WhitelistFile: p})
		var ce *server.ConfigError
		if !errors.As(err, &ce) || ce.File != p || !strings.Contains(err.Error(), p) {
			t.Errorf("New with whitelist %s: %v", p, err)
		}
	}
}

func TestWhitelistFromUpdateServer(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/whitelist" || r.Method != "GET" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"up.listed":{"datatype":"event","description":"from upstream"}}`))
	}))
	defer up.Close()
	ts := startServer(t, func(c *server.Config) { c.UpdateServerURL, c.FetchWhitelist = up.URL, true })
	if wl := ts.srv.Whitelist(); wl["up.listed"].Description != "from upstream" {
		t.Fatalf("whitelist %v", wl)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"other"}`); got.status != 422 {
		t.Errorf("unlisted event: %d", got.status)
	}
}

func TestWhitelistUpdateServerUnreachable(t *testing.T) {
	up := httptest.NewServer(http.NotFoundHandler())
	addr := up.URL
	up.Close() // nothing listens there any more
	var logs bytes.Buffer
	var mu sync.Mutex
	ts := startServer(t, func(c *server.Config) {
		c.UpdateServerURL, c.FetchWhitelist = addr, true
		c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))
	})
	if wl := ts.srv.Whitelist(); wl != nil {
		t.Fatalf("whitelist %v", wl)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"any"}`); got.status != 200 {
		t.Errorf("event without whitelist: %d", got.status)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "level=INFO msg=\"no whitelist") {
		t.Errorf("log: %s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSwapWhitelistWhileServing changes the whitelist under concurrent
// requests; the race detector checks the swap, and every answer must be one
// of the two whitelists' answers.
func TestSwapWhitelistWhileServing(t *testing.T) {
	ts := startServer(t, nil)
	a := whitelist.List{"e": {Datatype: whitelist.DatatypeEvent}}
	b := whitelist.List{"f": {Datatype: whitelist.DatatypeEvent}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			if i%2 == 0 {
				ts.srv.SetWhitelist(a)
			} else {
				ts.srv.SetWhitelist(b)
			}
			// Yield after each swap: with GOMAXPROCS=1 a spinning
			// swapper would hold the only P for a whole time slice per
			// request and make the test take seconds.
			runtime.Gosched()
		}
	}()
	for range 50 {
		got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`)
		if got.status != 200 && got.body != `{"rejected":{"e":"Not an expected event"}}` {
			t.Errorf("%d %s", got.status, got.body)
		}
	}
	cancel()
	wg.Wait()
	ts.srv.SetWhitelist(a)
	delete(a, "e") // the server holds a copy: "e" stays listed
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`); got.status != 200 {
		t.Errorf("after the caller changed its map: %d %s", got.status, got.body)
	}
	ts.srv.SetWhitelist(nil)
}

// countingUpstream is a fake update server that counts every request it
// gets, whatever the path, and serves a whitelist and check-in answers.
func countingUpstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Method == "GET" && r.URL.Path == "/whitelist" {
			w.Write([]byte(`{"up.listed":{"datatype":"event"}}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"version":"1","newer":false,"link":"","product":"p"}`))
	}))
	t.Cleanup(up.Close)
	return up, &n
}

// TestUpstreamContactOnlyWhenConfigured counts the requests a fake update
// server gets from a start and a POST /commands/send: the whitelist is
// fetched only when asked for, and while the opt-out file exists nothing
// reaches the upstream at all.
func TestUpstreamContactOnlyWhenConfigured(t *testing.T) {
	cases := []struct {
		name            string
		fetch, optOut   bool
		atStart, atSend int64
	}{
		{"whitelist not configured", false, false, 0, 1},
		{"whitelist configured", true, false, 1, 2},
		{"opted out", true, true, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up, n := countingUpstream(t)
			confDir := t.TempDir()
			if tc.optOut {
				os.WriteFile(filepath.Join(confDir, checkin.OptOutFile), nil, 0o600)
			}
			ts := startServer(t, func(c *server.Config) {
				c.UpdateServerURL, c.FetchWhitelist = up.URL, tc.fetch
				c.CheckIn = server.CheckInConfig{Product: "p", ConfDir: confDir, Interval: -1}
			})
			if got := n.Load(); got != tc.atStart {
				t.Errorf("requests at start: %d, want %d", got, tc.atStart)
			}
			if got := ts.srv.Whitelist() != nil; got != (tc.atStart == 1) {
				t.Errorf("whitelist loaded: %v", got)
			}
			if got := do(t, ts.client, "POST", ts.url+"/commands/send", ""); got.status != 200 {
				t.Fatalf("send: %d %s", got.status, got.body)
			}
			if got := n.Load(); got != tc.atSend {
				t.Errorf("requests after /commands/send: %d, want %d", got, tc.atSend)
			}
		})
	}
}
