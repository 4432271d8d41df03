package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// CheckAdminAddr refuses an admin listener address (Config.AdminAddr)
// that is not on the loopback interface: the admin listener serves without
// authentication. New applies it; a configuration loader can call it to
// name its own key in the error.
func CheckAdminAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &ConfigError{Field: "AdminAddr", Reason: fmt.Sprintf("%q is not host:port", addr), Err: err}
	}
	if isLoopbackHost(host) {
		return nil
	}
	return &ConfigError{Field: "AdminAddr", Reason: fmt.Sprintf(
		"%q is not a loopback address (127.0.0.1, ::1 or localhost): the admin listener serves without authentication", addr)}
}

// isLoopbackHost reports whether host is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

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

// adminPaths are the endpoints the admin listener serves: what operators
// look at. It never changes anything, and the raw collections are left to
// authorized clients.
var adminPaths = map[string]bool{"/status": true, "/checkin/preview": true, "/view": true,
	"/view/live": true, "/metrics": true}

// adminHandler serves the operator endpoints at the root of the admin
// listener (/status, /checkin/preview, /view, /metrics), GET only. A
// request whose Host is not a loopback name is refused: a web page
// elsewhere could otherwise read them through a DNS name it points at
// 127.0.0.1 (DNS rebinding).
func (s *Server) adminHandler() http.Handler {
	return s.observe(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &headerWriter{ResponseWriter: rw}
		setAnswerHeaders(w)
		defer s.recoverPanic(w, r)
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if !isLoopbackHost(strings.Trim(host, "[]")) {
			http.Error(w, "Forbidden: the admin listener answers only to localhost and loopback addresses", http.StatusForbidden)
			return
		}
		e, ok := routes[route{r.Method, r.URL.Path}]
		if !ok || !adminPaths[e.path] {
			notFound(w)
			return
		}
		if adminDataPaths[e.path] && !s.adminTokenOK(w, r) {
			refuseAdminData(w)
			return
		}
		e.serve(s, w, r)
	}), "")
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

// AdminURL is the URL of the page on the admin listener with the admin
// token of this start, e.g. http://127.0.0.1:8141/view?token=3f9a...;
// empty when there is none or before Listen. Only who has read it sees
// stored data there (see adminDataPaths).
func (s *Server) AdminURL() string {
	if a := s.AdminAddr(); a != nil {
		return "http://" + a.String() + "/view?token=" + s.adminToken
	}
	return ""
}
