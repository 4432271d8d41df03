package server

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/analytics-client/analytics/server/opsview"
)

// listenAdmin binds the admin listener and checks that the bound address
// is a loopback one (localhost could resolve elsewhere).
func (s *Server) listenAdmin(ctx context.Context) (*listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s (admin): %w", s.cfg.AdminAddr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return nil, &ConfigError{Field: "AdminAddr", Reason: fmt.Sprintf("%s is bound to %s, not a loopback address", s.cfg.AdminAddr, ln.Addr())}
	}
	srv := s.httpServer(nil)
	srv.Handler = s.adminHandler()
	l := s.trackedListener(ln, srv)
	l.admin = true
	return l, nil
}

// adminHandler serves the operator endpoints at the root of the admin
// listener (opsview.AdminPath), GET only. A request whose Host is not a
// loopback name is refused (opsview.LoopbackHost).
func (s *Server) adminHandler() http.Handler {
	return s.views.Observe(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &headerWriter{ResponseWriter: rw}
		setRequestID(w)
		defer s.recoverPanic(w, r)
		if !opsview.LoopbackHost(r) {
			http.Error(w, "Forbidden: the admin listener answers only to localhost and loopback addresses", http.StatusForbidden)
			return
		}
		e, ok := routes[route{r.Method, r.URL.Path}]
		if !ok || !opsview.AdminPath(e.path) {
			adminMiss(w, r)
			return
		}
		e.serve(s, w, r)
	}), commandOf(""))
}

// AdminAddr is the bound address of the admin listener, nil when there is
// none or before Listen.
func (s *Server) AdminAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		if l.admin {
			return l.ln.Addr()
		}
	}
	return nil
}

// AdminURL is the URL of the page on the admin listener, e.g.
// http://127.0.0.1:8141/view; empty when there is none or before Listen.
func (s *Server) AdminURL() string {
	if a := s.AdminAddr(); a != nil {
		return "http://" + a.String() + "/view"
	}
	return ""
}
