package server_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
)

// TestCloseFinishesInFlight holds a request inside the handler, closes the
// server, and checks that new connections are refused while the held
// request still completes with its answer.
func TestCloseFinishesInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	ts := startServer(t, func(c *server.Config) {
		c.Middleware = func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("X-Hold") != "" {
					close(entered)
					<-release
				}
				next.ServeHTTP(w, r)
			})
		}
	})
	held := make(chan reply, 1)
	go func() {
		r, err := tryDo(ts.client, "POST", ts.url+"/commands/event", `{"event":"held"}`, "X-Hold", "1")
		if err != nil {
			t.Errorf("held request: %v", err)
		}
		held <- r
	}()
	<-entered
	closed := make(chan error, 1)
	go func() { closed <- ts.srv.Close(context.Background()) }()
	waitRefused(t, ts.srv.HTTPSAddr().String())
	close(release)
	if r := <-held; r.status != 200 {
		t.Errorf("held request answered %d %s", r.status, r.body)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := ts.srv.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := ts.srv.Listen(context.Background()); !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Listen after Close: %v", err)
	}
}

// waitRefused dials addr until the listener is gone; Close stops accepting
// before it waits for in-flight requests.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		runtimeGosched()
	}
	t.Fatalf("%s still accepts connections after Close", addr)
}

// TestServeStopsWithContext serves until the context is cancelled.
func TestServeStopsWithContext(t *testing.T) {
	srv, err := server.New(server.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Logger: discard(),
		CheckIn: server.CheckInConfig{Interval: -1}, Authorization: openRules})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		t.Fatal(err)
	}
	if srv.HTTPSAddr() != nil || srv.HTTPAddr() == nil || srv.URL() != "http://"+srv.HTTPAddr().String()+"/analytics" {
		t.Fatalf("addresses %v %v %s", srv.HTTPAddr(), srv.HTTPSAddr(), srv.URL())
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	c := &http.Client{Transport: &http.Transport{}}
	defer c.CloseIdleConnections()
	if got := do(t, c, "GET", srv.URL(), ""); got.status != 200 {
		t.Fatalf("entrypoint %d", got.status)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := tryDo(c, "GET", srv.URL(), ""); err == nil {
		t.Error("still serving after Serve returned")
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]server.Config{
		"DataDir":        {},
		"Prefix":         {DataDir: "d", Prefix: "analytics"},
		"PublicURL":      {DataDir: "d", PublicURL: "puppet:8140"},
		"TLS":            {DataDir: "d", HTTPSAddr: ":0"},
		"TLS.ClientAuth": {DataDir: "d", TLS: server.TLSFiles{ClientAuth: "maybe"}},
		"TLS.CAFile":     {DataDir: "d", HTTPSAddr: ":0", TLS: server.TLSFiles{CertFile: "c", KeyFile: "k"}},
	}
	for field, cfg := range cases {
		_, err := server.New(cfg)
		var ce *server.ConfigError
		if !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestListenErrors(t *testing.T) {
	srv, err := server.New(server.Config{DataDir: t.TempDir(), Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	if err := srv.Listen(context.Background()); err == nil {
		t.Error("Listen with no listener configured succeeded")
	}
	missing := server.TLSFiles{CertFile: "/nonexistent/c.pem", KeyFile: "/nonexistent/k.pem", CAFile: "/nonexistent/ca.pem"}
	srv2, err := server.New(server.Config{DataDir: t.TempDir(), HTTPSAddr: "127.0.0.1:0", TLS: missing, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close(context.Background())
	err = srv2.Listen(context.Background())
	var ce *server.ConfigError
	if !errors.As(err, &ce) || ce.File != "/nonexistent/c.pem" {
		t.Errorf("Listen with missing certificate: %v", err)
	}
}

// TestCloseDoesNotWaitForSilentConnections: a client that completed its
// TLS handshake but never sent a request must not hold up a graceful stop
// (http.Server.Shutdown alone would wait five seconds for it).
func TestCloseDoesNotWaitForSilentConnections(t *testing.T) {
	ts := startServer(t, nil)
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", u.Host, tc) // handshake done: the server holds a new, silent connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Fatalf("Close with a silent connection open: %v", err)
	}
}
