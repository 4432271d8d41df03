package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/analytics-client/analytics/internal/logthrottle"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/datadir"
	"github.com/analytics-client/analytics/server/internal/storeview"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
	"github.com/analytics-client/analytics/wire"
)

// Server is the analytics service. It is an http.Handler for the API and
// owns its listeners, its daily check-in and its store. Create it with New
// and stop it with Close.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     store.Store
	whitelist whitelist.Holder
	checker   *checkin.Checker
	views     *opsview.Views // operator endpoints, metrics, access log
	authz     *authz.Authorizer
	refusals  *logthrottle.Logger // refused requests, per certname and rule
	// throttle logs repeated failures and refusals once a minute per kind.
	throttle *logthrottle.Logger
	// storeLog logs storage failures once per interval per condition.
	storeLog *logthrottle.Logger
	// inflight is the budget of request-body bytes held; see
	// Config.MaxInflightBytes.
	inflight *limits.Budget
	shares   *limits.Shares // each client's part of inflight
	// storeShares bounds each client's room in the store; see
	// Config.MaxClientStoreBytes.
	storeShares *limits.Quota
	// tlsCerts is the TLS listener's Reloader; see certificates.
	tlsCerts atomic.Pointer[tlsfiles.Reloader]
	// adminToken opens the admin listener's stored data; see AdminURL.
	adminToken opsview.AdminToken

	// lifetime is cancelled by Close; background work derives from it.
	lifetime context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup

	mu        sync.Mutex // guards listeners, servers and the fields below
	listeners []*listener
	serving   bool
	closed    bool
	closeErr  error
	closeDone chan struct{}
}

// New checks cfg, opens the store in cfg.DataDir and loads the whitelist
// file, if any. Nothing listens until Listen or ListenAndServe.
func New(cfg Config) (*Server, error) { return newServer(cfg, nil) }

// newServer is New with a given store; nil opens the Bolt store in
// cfg.DataDir. Tests use it to measure the service without storage costs.
func newServer(cfg Config, st store.Store) (*Server, error) {
	cfg.MaxConnections = fitConnections(cfg, limits.FileLimit(), cfg.Logger)
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	started := time.Now() // wall clock: the check-in schedule runs on it
	s := &Server{cfg: cfg, log: cfg.Logger, closeDone: make(chan struct{}),
		throttle: logthrottle.New(cfg.Logger, time.Minute, nil),
		refusals: logthrottle.New(cfg.Logger, RefusalLogInterval, cfg.Now),
		storeLog: logthrottle.New(cfg.Logger, time.Minute, cfg.Now)}
	s.inflight = limits.NewBudget(cfg.MaxInflightBytes)
	s.shares = limits.NewShares(s.inflight, cfg.MaxInflightBytes/inflightShareDiv, cfg.MaxInflightBytes/inflightAnonShareDiv)
	s.storeShares = limits.NewQuota(cfg.MaxClientStoreBytes)
	s.adminToken = opsview.NewAdminToken()
	if s.authz, err = cfg.authorizer(); err != nil {
		return nil, err
	}
	if err := s.initWhitelist(); err != nil {
		return nil, err
	}
	if st == nil {
		opts := store.Options{Logger: cfg.Logger, MaxBytes: cfg.MaxStoreBytes, OnCommit: s.observeCommit, Now: cfg.Now}
		if cfg.Database.URL != "" {
			st, err = openDatabase(cfg, opts)
		} else if err = configError(datadir.Check(cfg.DataDir, boltstore.FileName)); err == nil {
			st, err = boltstore.OpenLogged(filepath.Join(cfg.DataDir, boltstore.FileName), opts, boltstore.LogOptions{})
		}
		if err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	s.store = st
	s.checker = checkin.New(s.checkInConfig(started), storeview.New(st))
	s.views = opsview.New(s.viewsConfig(started))
	s.lifetime, s.stop = context.WithCancel(context.Background())
	s.wg.Go(func() { s.checker.Run(s.lifetime) })
	return s, nil
}

// initWhitelist installs the configured whitelist or reads the file.
func (s *Server) initWhitelist() error {
	switch {
	case s.cfg.Whitelist != nil:
		if err := s.cfg.Whitelist.Validate(); err != nil {
			return &ConfigError{Field: "Whitelist", Reason: err.Error(), Err: err}
		}
		s.SetWhitelist(s.cfg.Whitelist)
	case s.cfg.WhitelistFile != "":
		wl, err := whitelist.LoadFile(s.cfg.WhitelistFile)
		if err != nil {
			return &ConfigError{Field: "WhitelistFile", File: s.cfg.WhitelistFile, Reason: err.Error(), Err: err}
		}
		s.installWhitelist(wl, wire.WhitelistFromFile)
		s.log.Info("whitelist loaded", "file", s.cfg.WhitelistFile, "entries", len(wl))
	}
	return nil
}

// SetWhitelist replaces the whitelist; requests already being handled keep
// the one they started with. A nil whitelist accepts everything. The map is
// copied.
func (s *Server) SetWhitelist(wl whitelist.List) { s.installWhitelist(wl, wire.WhitelistFromConfig) }

// installWhitelist replaces the whitelist and records its source.
func (s *Server) installWhitelist(wl whitelist.List, source wire.WhitelistSource) {
	s.whitelist.Set(wl, source, s.cfg.Now())
}

// Whitelist returns a copy of the current whitelist, nil when there is none.
func (s *Server) Whitelist() whitelist.List { return s.whitelist.Copy() }

// Prefix returns the URL prefix the API is mounted under.
func (s *Server) Prefix() string { return s.cfg.Prefix }

// ServeHTTP answers a request under the prefix. Every response carries a
// request id (wire.HeaderRequestID). A path with an encoded slash or a dot
// segment is a plain-text 404 and is never routed; then the authorization
// rules decide (403 in the JSON error shape when they refuse), and unknown
// paths and methods get a plain-text 404. A panic is logged and answered
// with the JSON 500 shape rather than dropping the connection, or, when the
// status is sent already, by aborting the response so the client sees a
// broken transfer.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	setAnswerHeaders(rw)
	w := &headerWriter{ResponseWriter: rw}
	defer s.recoverPanic(w, r)
	path, ok := cleanPath(r)
	if !ok {
		limits.CloseUnread(w, r)
		notFound(w)
		return
	}
	rest, ok := trimPrefix(path, s.cfg.Prefix)
	if !ok {
		limits.CloseUnread(w, r)
		notFound(w)
		return
	}
	id := authz.Identify(r)
	if id.Ambiguous != "" || s.peerRevoked(r) {
		s.refuseCertificate(w, r, id)
		return
	}
	if d := s.authz.Decide(r, path, id); !d.Allowed {
		s.forbidden(w, r, id, d)
		return
	}
	e, ok := routes[route{r.Method, rest}]
	if !ok {
		limits.CloseUnread(w, r)
		notFound(w)
		return
	}
	e.serve(s, w, r)
}

// trimPrefix returns path below prefix, and whether path is under it.
func trimPrefix(path, prefix string) (string, bool) {
	if len(path) < len(prefix) || path[:len(prefix)] != prefix {
		return "", false
	}
	rest := path[len(prefix):]
	if rest != "" && rest[0] != '/' {
		return "", false // "/analyticsfoo" is not under "/analytics"
	}
	return rest, true
}

// recoverPanic answers a panic of the handler writing to w. Wrap w in a
// headerWriter (as ServeHTTP does) so that it knows whether the status is
// out already.
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(v)
	}
	s.log.Error("panic while handling a request", "request-id", requestID(w), "method", r.Method, "path", r.URL.Path,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if hw, ok := w.(*headerWriter); ok && hw.sent {
		panic(http.ErrAbortHandler) // a second status would be appended to the body
	}
	s.writeError(w, &apiError{Status: 500, Kind: wire.ErrorApplication, Msg: msgUncaught})
}
