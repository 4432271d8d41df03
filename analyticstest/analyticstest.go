// Package analyticstest runs a real analytics service for tests, in the
// spirit of net/http/httptest: the service of package server with its
// durable store, on 127.0.0.1, behind mutual TLS with a throwaway CA.
//
//	func TestReport(t *testing.T) {
//		srv := analyticstest.NewServer(t)
//		client, err := analytics.New(srv.Config())
//		...
//		events := srv.Events()
//	}
//
// The server stops when the test ends (t.Cleanup), or earlier with Close.
package analyticstest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devservice"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/whitelist"
)

// Server is a running analytics service.
type Server struct {
	// URL is the service's entrypoint, e.g. https://127.0.0.1:40123/analytics.
	URL string

	t       testing.TB
	opts    options
	srv     *server.Server
	bundle  *pki.Bundle
	client  *http.Client
	certs   *tlsfiles.Reloader // client's files; nil over plain HTTP
	served  chan error
	closeMu sync.Mutex
	closed  bool

	// changeMu guards change, which is closed (and replaced) after every
	// command the service answers, waking WaitEvents and WaitSnapshots.
	changeMu sync.Mutex
	change   chan struct{}
}

// NewServer starts a service and stops it when t ends. It fails t (with
// t.Fatal) if the service cannot start, so call it from the test goroutine.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if o.dataDir == "" {
		o.dataDir = t.TempDir()
	}
	b, err := devservice.Certificates(o.dataDir)
	if err != nil {
		t.Fatalf("analyticstest: %v", err)
	}
	s := &Server{t: t, opts: o, bundle: b, served: make(chan error, 1), change: make(chan struct{})}
	if err := s.start(); err != nil {
		t.Fatalf("analyticstest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// start creates, binds and serves the service.
func (s *Server) start() error {
	ctx := context.Background()
	srv, err := devservice.Listen(ctx, s.serverConfig())
	if err != nil {
		return err
	}
	s.srv, s.URL = srv, srv.URL()
	s.client, err = s.newClient()
	if err != nil {
		_ = srv.Close(ctx)
		return err
	}
	go func() { s.served <- srv.Serve(ctx) }()
	return nil
}

// serverConfig is the development service's configuration with the
// options applied.
func (s *Server) serverConfig() server.Config {
	o := s.opts
	cfg := devservice.Config(o.dataDir, o.addr, s.bundle, s.log())
	cfg.Whitelist, cfg.Now, cfg.Middleware = o.whitelist, o.now, s.middleware
	cfg.TLS.ClientAuth = o.clientAuth
	if o.rules != nil {
		cfg.Authorization = o.rules
	}
	if o.plainHTTP {
		cfg.HTTPAddr, cfg.HTTPSAddr, cfg.TLS = o.addr, "", server.TLSFiles{}
		if o.rules == nil {
			cfg.Authorization = []authz.Rule{{Name: "analyticstest over plain HTTP", SortOrder: 1,
				Type: authz.PathPrefix, Path: "/", AllowUnauthenticated: true}}
		}
	}
	return cfg
}

// middleware is observe around the WithMiddleware handler, if any.
func (s *Server) middleware(next http.Handler) http.Handler {
	if s.opts.middleware != nil {
		next = s.opts.middleware(next)
	}
	return s.observe(next)
}

// log is the service's logger: the WithLogger one, else warnings and
// errors to the test log.
func (s *Server) log() *slog.Logger {
	if s.opts.logger != nil {
		return s.opts.logger
	}
	return slog.New(slog.NewTextHandler(testWriter{s.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Config is the client configuration for this service: its URL and, over
// TLS, the client certificate, key and CA files.
func (s *Server) Config() analytics.Config {
	if s.opts.plainHTTP {
		return analytics.Config{URL: s.URL}
	}
	return devservice.ClientConfig(s.URL, s.bundle)
}

// Client returns an HTTP client that trusts the service and presents the
// client certificate. Its idle connections are closed by Close.
func (s *Server) Client() *http.Client { return s.client }

func (s *Server) newClient() (*http.Client, error) {
	tr := &http.Transport{}
	if !s.opts.plainHTTP {
		certs, err := tlsfiles.New(tlsfiles.Files{CertFile: s.bundle.ClientCert, KeyFile: s.bundle.ClientKey,
			CAFile: s.bundle.CACert}, tlsfiles.Options{Interval: time.Nanosecond, Logger: s.log()}) // at every handshake
		if err != nil {
			return nil, err
		}
		s.certs = certs
		tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return certs.DialTLS(ctx, (&net.Dialer{}).DialContext, network, addr)
		}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// Server returns the service itself, e.g. to call CheckIn.
func (s *Server) Server() *server.Server { return s.srv }

// DataDir is where the store (and the certificates, under pki/) are kept.
// Pass it to WithDataDir to start a service on the same data.
func (s *Server) DataDir() string { return s.opts.dataDir }

// SetWhitelist replaces the whitelist while serving; nil accepts
// everything.
func (s *Server) SetWhitelist(wl whitelist.List) { s.srv.SetWhitelist(wl) }

// Close stops the service gracefully and waits for it. It is called by
// t.Cleanup; calling it earlier (to test an unreachable service) is fine.
func (s *Server) Close() {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.srv.Close(ctx); err != nil {
		s.t.Errorf("analyticstest: close: %v", err)
	}
	// Serve reports ErrServerClosed when Close came before it started.
	if err := <-s.served; err != nil && !errors.Is(err, server.ErrServerClosed) {
		s.t.Errorf("analyticstest: serve: %v", err)
	}
	s.client.CloseIdleConnections()
}
