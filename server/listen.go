package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/server/whitelist"
)

// ErrServerClosed is returned by Listen and Serve after Close.
var ErrServerClosed = errors.New("server: closed")

// listener is one bound address and the http.Server that serves it.
type listener struct {
	ln     net.Listener
	srv    *http.Server
	conns  *limits.Conns
	secure bool
	admin  bool               // the admin listener: operator endpoints for local users
	certs  *tlsfiles.Reloader // the TLS listener's files; nil for plain HTTP
}

// Listen fetches the upstream whitelist (when Config.FetchWhitelist asks
// for it, no whitelist was configured and the opt-out file is absent; at
// most WhitelistFetchTimeout, and an unreachable server means no
// whitelist) and binds the configured
// listeners. Their addresses are then known (see HTTPAddr, HTTPSAddr, URL)
// though nothing is served until Serve.
func (s *Server) Listen(ctx context.Context) error {
	s.mu.Lock()
	err := s.canListenLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// Not under s.mu: the fetch can take WhitelistFetchTimeout, and Close
	// and the address getters need the lock meanwhile.
	s.fetchInitialWhitelist(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.canListenLocked(); err != nil { // closed or bound meanwhile
		return err
	}
	lns, err := s.bind(ctx)
	if err != nil {
		for _, l := range lns {
			_ = l.ln.Close()
		}
		return err
	}
	s.listeners = lns
	return nil
}

// canListenLocked says why Listen may not bind now, if it may not; s.mu is
// held.
func (s *Server) canListenLocked() error {
	switch {
	case s.closed:
		return ErrServerClosed
	case s.listeners != nil:
		return errors.New("server: listen: already listening")
	case s.cfg.HTTPAddr == "" && s.cfg.HTTPSAddr == "":
		return &ConfigError{Field: "HTTPAddr", Reason: "no listener configured (set HTTPAddr or HTTPSAddr)"}
	}
	return nil
}

// fetchInitialWhitelist loads the whitelist from the update server when
// asked to and none is configured. While the opt-out file exists the
// service makes no network contact at all.
func (s *Server) fetchInitialWhitelist(ctx context.Context) {
	if !s.cfg.FetchWhitelist || s.cfg.Whitelist != nil || s.cfg.WhitelistFile != "" || s.cfg.UpdateServerURL == "" {
		return
	}
	if optOut := s.checker.OptedOut(); optOut != "" {
		s.log.Info("whitelist not fetched: opted out", "file", optOut)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, WhitelistFetchTimeout)
	defer cancel()
	wl, err := whitelist.Fetch(ctx, s.cfg.HTTPClient, s.cfg.UpdateServerURL)
	if err != nil {
		s.log.Info("no whitelist: every event and field is accepted", "err", err)
		return
	}
	s.installWhitelist(wl, whitelist.FromUpstream)
	s.log.Info("whitelist loaded", "url", s.cfg.UpdateServerURL, "entries", len(wl))
}

func (s *Server) bind(ctx context.Context) ([]*listener, error) {
	var lns []*listener
	var lc net.ListenConfig
	if s.cfg.HTTPAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", s.cfg.HTTPAddr)
		if err != nil {
			return lns, fmt.Errorf("server: listen on %s (http): %w", s.cfg.HTTPAddr, err)
		}
		lns = append(lns, s.newListener(ln, nil))
	}
	if s.cfg.HTTPSAddr != "" {
		certs, err := s.loadCertificates()
		if err != nil {
			return lns, err
		}
		ln, err := lc.Listen(ctx, "tcp", s.cfg.HTTPSAddr)
		if err != nil {
			return lns, fmt.Errorf("server: listen on %s (https): %w", s.cfg.HTTPSAddr, err)
		}
		l := s.newListener(ln, certs)
		l.srv.TLSConfig = tlsConfig(certs, s.cfg.TLS.ClientAuth, l.srv)
		lns = append(lns, l)
	}
	if s.cfg.AdminAddr != "" {
		l, err := s.listenAdmin(ctx)
		if err != nil {
			return lns, err
		}
		lns = append(lns, l)
	}
	return lns, nil
}

// newListener wraps ln in an http.Server whose connections are tracked
// and bounded (Config.MaxConnections); non-nil certs make it a TLS
// listener.
func (s *Server) newListener(ln net.Listener, certs *tlsfiles.Reloader) *listener {
	l := s.trackedListener(ln, s.httpServer(nil))
	l.secure, l.certs = certs != nil, certs
	return l
}

// trackedListener serves ln with srv, its connections tracked and bounded
// (Config.MaxConnections); a refused connection is logged once a minute.
func (s *Server) trackedListener(ln net.Listener, srv *http.Server) *listener {
	cs := limits.NewConns(s.cfg.MaxConnections)
	addr := ln.Addr().String()
	refused := func() {
		s.throttle.Log(context.Background(), slog.LevelWarn, "max-connections:"+addr,
			"connection refused: every connection has a request in progress", "listener", addr,
			"max-connections", s.cfg.MaxConnections)
	}
	srv.ConnState = cs.Track
	return &listener{ln: cs.Listener(ln, refused), srv: srv, conns: cs}
}

// maxFrameSize is the largest HTTP/2 frame the service reads: the
// protocol's default, where net/http would allow 1 MiB. A connection keeps
// a read buffer of the largest frame it was sent, and a client's send
// buffer per stream follows it too.
const maxFrameSize = 16 << 10

func (s *Server) httpServer(tc *tls.Config) *http.Server {
	var h http.Handler = s
	if s.cfg.Middleware != nil {
		h = s.cfg.Middleware(s)
	}
	h = limits.BodyDeadline(s.views.Observe(h, commandOf(s.cfg.Prefix)), s.cfg.BodyTimeout)
	return &http.Server{
		Handler:           h,
		TLSConfig:         tc,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          s.httpErrorLog(),
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: s.cfg.MaxStreams, MaxReadFrameSize: maxFrameSize},
	}
}

// HTTPAddr is the bound address of the plain HTTP listener, nil when there
// is none or before Listen.
func (s *Server) HTTPAddr() net.Addr { return s.addr(false) }

// HTTPSAddr is the bound address of the TLS listener, nil when there is none
// or before Listen.
func (s *Server) HTTPSAddr() net.Addr { return s.addr(true) }

func (s *Server) addr(secure bool) net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.secure == secure && !l.admin {
			return l.ln.Addr()
		}
	}
	return nil
}

// URL is the entrypoint URL on the bound TLS listener (or the plain one
// when there is no TLS listener), e.g. https://127.0.0.1:14433/analytics.
// An unspecified bind address (0.0.0.0, ::) is written as localhost. It is
// empty before Listen.
func (s *Server) URL() string {
	scheme, a := "https", s.HTTPSAddr()
	if a == nil {
		scheme, a = "http", s.HTTPAddr()
	}
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := "localhost"
	if !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)) + s.cfg.Prefix
}
