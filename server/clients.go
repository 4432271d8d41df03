package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/wire"
)

// Shares of the service-wide limits one client (authz.Identity.Key) may
// hold, so that one certificate, or everyone without one, cannot take them
// all: of the in-flight budget a quarter for one client, a sixteenth for
// all unauthenticated ones together (limits.Shares); of the TLS listener's
// busy connections three quarters for one client, an eighth (at least
// one) for all unauthenticated ones (limits.ConnShares); of the store
// Config.MaxClientStoreBytes (limits.Quota).
const (
	inflightShareDiv     = 4
	inflightAnonShareDiv = 16
	connAnonShareDiv     = 8
)

// withClient returns r's context carrying r's client, to whom commit
// charges the command's idempotency key (scopedKey) and its room in the
// store (chargeStore).
func withClient(r *http.Request) context.Context {
	return authz.NewContext(r.Context(), authz.Identify(r))
}

// scopedKey is the key the store remembers for a command's key: the
// SHA-256 of the client's name and the key. A key belongs to the client
// that sent it: another client sending the same key sends an independent
// key, learns nothing of the first client's request and cannot take its
// key. All unauthenticated clients share one scope. The store sees only
// the sum, so its engines are unchanged.
func scopedKey(ctx context.Context, key string) string {
	if key == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(authz.FromContext(ctx).Key() + "\x00" + key))
	return "k:" + hex.EncodeToString(sum[:])
}

// entryCost is what p's entry is charged to its client's share of the
// store: its data and what the store spends on an entry beyond it
// (sequence key, page and index space).
func entryCost(p prepared) int64 {
	if p.data == nil {
		return 0
	}
	return int64(len(p.data)) + 64
}

// chargeStore charges p's entry to the client in ctx, or returns the 507
// for a client past its share of the store; commit gives the charge back
// when the store did not store the entry (an error, or a repeated key). The shares count what this
// process stored since its start or its last check-in, not what the file
// holds: a restart, or another replica sharing a database, starts a
// client's count again.
func (s *Server) chargeStore(ctx context.Context, p prepared) *apiError {
	id := authz.FromContext(ctx)
	if n := entryCost(p); n == 0 || s.storeShares.Take(id.Key(), n) {
		return nil
	}
	s.storeLog.Log(ctx, slog.LevelError, "client-store-share:"+id.Key(),
		"store share full: this client's commands refused with 507 until a check-in frees room",
		"certname", id.String(), "limit-bytes", s.cfg.MaxClientStoreBytes)
	return &apiError{Status: http.StatusInsufficientStorage, Kind: wire.ErrorStorageFull,
		RetryAfter: int(StoreFullRetryAfter / time.Second),
		Msg: "This client's entries take its share of the store (" + strconv.FormatInt(s.cfg.MaxClientStoreBytes, 10) +
			" bytes, analytics.max-client-store-bytes) already; nothing was stored. Retry after the service has checked in."}
}

// shareConns applies limits.ConnShares to the TLS listener l.
func (s *Server) shareConns(l *listener) {
	perClient, perAnon := max(s.cfg.MaxConnections-s.cfg.MaxConnections/4, 1), max(s.cfg.MaxConnections/connAnonShareDiv, 1)
	cs := limits.NewConnShares(perClient, perAnon, func(c net.Conn) (string, bool) {
		tc, ok := c.(*tls.Conn)
		if !ok {
			return "", false
		}
		return authz.IdentifyConn(new(tc.ConnectionState())).Key(), true
	}, func() {
		s.throttle.Log(context.Background(), slog.LevelWarn, "connection-share",
			"connection refused: its client holds its share of webserver.max-connections",
			"share", perClient, "unauthenticated-share", perAnon)
	})
	track := l.srv.ConnState
	l.srv.ConnState = func(c net.Conn, st http.ConnState) { track(c, st); cs.Track(c, st) }
}
