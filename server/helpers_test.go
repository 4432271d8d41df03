package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// fixedNow is the clock of test servers, so that answers are exact.
var fixedTime = time.Date(2026, 11, 29, 18, 56, 39, 790_000_000, time.UTC)

const fixedStamp = "2026-11-29T18:56:39.790Z"

// testServer is a running service on loopback with HTTPS (client
// certificates from a throwaway CA) and plain HTTP.
type testServer struct {
	srv    *server.Server
	pki    *pki.Bundle
	url    string // HTTPS entrypoint
	http   string // plain HTTP entrypoint
	client *http.Client
}

// startServer starts a service; edit may change the config first.
func startServer(t testing.TB, edit func(*server.Config)) *testServer {
	t.Helper()
	return startServerWith(t, nil, edit)
}

// startServerWith starts a service on st (nil: the Bolt store).
func startServerWith(t testing.TB, st store.Store, edit func(*server.Config)) *testServer {
	t.Helper()
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		DataDir:   t.TempDir(),
		HTTPAddr:  "127.0.0.1:0",
		HTTPSAddr: "127.0.0.1:0",
		TLS:       server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert, ClientAuth: server.ClientAuthNeed},
		Logger:    testLogger(t),
		Now:       func() time.Time { return fixedTime },
		CheckIn:   server.CheckInConfig{Interval: -1},
	}
	if edit != nil {
		edit(&cfg)
	}
	switch {
	case len(cfg.Authorization) == 1 && &cfg.Authorization[0] == &serviceDefaults[0]:
		cfg.Authorization = nil
	case cfg.Authorization == nil:
		cfg.Authorization = server.DefaultRules(cfg.Prefix, testOperator)
	}
	return runServer(t, cfg, st, b)
}

// testOperator is the CN of the test client certificate, which the test
// services allow the operator endpoints (collections, commands/send) under
// otherwise default rules. TestDefaultRules covers the defaults themselves.
const testOperator = "analytics-client"

// serviceDefaults, set as Config.Authorization by an edit function, starts
// the service with no rules configured: its own defaults.
var serviceDefaults = []authz.Rule{{Name: "the service's defaults"}}

// openRules let every request through, for tests that call ServeHTTP with
// no TLS connection to identify the client.
var openRules = []authz.Rule{{Name: "open", SortOrder: 1, Path: "/", Type: authz.PathPrefix, AllowUnauthenticated: true}}

// runServer starts cfg and stops it when the test ends.
func runServer(t testing.TB, cfg server.Config, st store.Store, b *pki.Bundle) *testServer {
	t.Helper()
	srv, err := server.NewWithStore(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	ts := &testServer{srv: srv, pki: b, url: srv.URL()}
	if a := srv.HTTPAddr(); a != nil {
		ts.http = "http://" + a.String() + srv.Prefix()
	}
	ts.client = ts.newClient(t, true, false)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		// ErrServerClosed: Close came before the goroutine reached Serve.
		if err := <-done; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// newClient returns an HTTPS client trusting the test CA, with the client
// certificate when withCert, and a new connection per request when fresh.
func (ts *testServer) newClient(t testing.TB, withCert, fresh bool) *http.Client {
	t.Helper()
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !withCert {
		tc.Certificates = nil
	}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: fresh, ForceAttemptHTTP2: false}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// reply is a response read in full.
type reply struct {
	status int
	ctype  string
	body   string
	header http.Header
}

// same reports whether two replies have the same status, type and body.
func (r reply) same(o reply) bool {
	return r.status == o.status && r.ctype == o.ctype && r.body == o.body
}

func do(t testing.TB, c *http.Client, method, url, body string, hdr ...string) reply {
	t.Helper()
	r, err := tryDo(c, method, url, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return r
}

func tryDo(c *http.Client, method, url, body string, hdr ...string) (reply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: string(data), header: resp.Header}, nil
}

// testLogger writes the service's log to the test log, so that failures
// show it.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tbWriter struct{ t testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// isHandshakeFailure reports whether err is a TLS failure the server
// caused by refusing the client's certificate (or lack of one).
func isHandshakeFailure(err error) bool {
	var alert tls.AlertError
	if errors.As(err, &alert) {
		return true
	}
	// In TLS 1.3 the client finishes its side of the handshake before the
	// service checks its certificate, so the refusal reaches it while it
	// sends the request: as the alert, as a reset or EOF, or as the
	// transport's own close of the connection the alert ended.
	if errors.Is(err, net.ErrClosed) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "certificate required") || strings.Contains(s, "remote error: tls:") || strings.Contains(s, "bad certificate") ||
		strings.Contains(s, "connection reset") || strings.Contains(s, "EOF")
}

// discard is a logger for tests that provoke expected errors.
func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runtimeGosched yields between polls of a condition that has no signal of
// its own (a listener going away).
func runtimeGosched() { runtime.Gosched() }
