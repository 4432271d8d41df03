package server

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Shares of the service-wide limits one client may hold, so that one
// certificate, or everyone without one, cannot take them all:
//
//   - the in-flight budget (Config.MaxInflightBytes): a quarter for one
//     client, a sixteenth for all unauthenticated ones together; a client
//     holding nothing may always start one command while the budget has
//     room;
//   - the connections of the TLS listener (Config.MaxConnections) with a
//     request in progress: three quarters for one client, an eighth (at
//     least one) for all the unauthenticated ones together.
const (
	inflightShareDiv     = 4
	inflightAnonShareDiv = 16
	connAnonShareDiv     = 8
)

// freeAfterBurst is how often, at most, memory held after a burst of
// request bodies is given back to the operating system.
const freeAfterBurst = 2 * time.Second

// fairShares tracks what each client holds of the in-flight budget.
type fairShares struct {
	mu   sync.Mutex
	held map[string]int64 // by identity key; "" is every unauthenticated client

	peak     atomic.Int64 // the most held since memory was last given back
	lastFree atomic.Int64 // unix nanoseconds of the last give-back
	trailing atomic.Bool  // a give-back is scheduled
}

// shareKey names the holder of a share: the certname, or "" for every
// unauthenticated client together.
func shareKey(id identity) string {
	if !id.authenticated {
		return ""
	}
	return "cn:" + id.certname
}

// takeBody takes n bytes of the in-flight budget for r's client: from the
// service's budget, and from the client's share; own is what the same
// command holds already. A client whose other commands hold nothing may
// always go on, so that each client has one command in flight whatever
// its share. The answer when either has no room is a 503 with
// Retry-After.
func (s *Server) takeBody(w http.ResponseWriter, r *http.Request, n, own int64) *apiError {
	if !s.inflight.take(n) {
		return s.refuseBusy(w, r)
	}
	key := shareKey(identify(r))
	limit := s.cfg.MaxInflightBytes / inflightShareDiv
	if key == "" {
		limit = s.cfg.MaxInflightBytes / inflightAnonShareDiv
	}
	sh := &s.shares
	sh.mu.Lock()
	if sh.held == nil {
		sh.held = make(map[string]int64)
	}
	h := sh.held[key]
	ok := h == own || h+n <= limit
	if ok {
		sh.held[key] = h + n
	}
	sh.mu.Unlock()
	if !ok {
		s.inflight.give(n)
		return s.refuseShare(w, r, limit)
	}
	if u := s.inflight.used.Load(); u > sh.peak.Load() {
		sh.peak.Store(u)
	}
	return nil
}

// giveBody gives back n bytes takeBody took for r's client, and the
// memory of a burst to the operating system (giveBackMemory).
func (s *Server) giveBody(r *http.Request, n int64) {
	if n == 0 {
		return
	}
	key := shareKey(identify(r))
	sh := &s.shares
	sh.mu.Lock()
	if h := sh.held[key] - n; h > 0 {
		sh.held[key] = h
	} else {
		delete(sh.held, key)
	}
	sh.mu.Unlock()
	s.inflight.give(n)
	s.giveBackMemory()
}

// giveBackMemory gives the memory of a burst back to the operating system
// once the budget is empty again after the burst held half of it or more:
// the collector alone would keep it for minutes. It runs at most once per
// freeAfterBurst; a burst that ends sooner after the last is given back
// when that time is up.
func (s *Server) giveBackMemory() {
	sh := &s.shares
	if s.inflight.used.Load() != 0 || sh.peak.Load() < s.cfg.MaxInflightBytes/2 || s.lifetime.Err() != nil {
		return
	}
	now, last := time.Now().UnixNano(), sh.lastFree.Load()
	if wait := last + int64(freeAfterBurst) - now; wait > 0 {
		if sh.trailing.CompareAndSwap(false, true) {
			time.AfterFunc(time.Duration(wait), func() {
				sh.trailing.Store(false)
				s.giveBackMemory()
			})
		}
		return
	}
	if sh.lastFree.CompareAndSwap(last, now) {
		sh.peak.Store(0)
		debug.FreeOSMemory()
	}
}

// refuseShare answers a command refused because its client holds its
// share of the in-flight budget already.
func (s *Server) refuseShare(w http.ResponseWriter, r *http.Request, share int64) *apiError {
	id := identify(r)
	s.ops.throttle.Log(r.Context(), slog.LevelWarn, "inflight-share",
		"command refused: the client holds its share of analytics.max-inflight-bytes",
		"certname", id.String(), "share", share)
	w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindUnavailable,
		Msg: "This client has " + formatBytes(share) + " of request bodies in flight already, its share of the service's; retry in " +
			strconv.Itoa(busyRetryAfter) + " s."}
}

// connShares bounds per client the connections of one TLS listener that
// have a request in progress. Idle ones are not counted: the listener's
// bound closes them to make room (see conns).
type connShares struct {
	share, anonShare int

	mu     sync.Mutex
	per    map[string]int
	active map[net.Conn]string // connections with a request in progress
}

func newConnShares(maxConns int) *connShares {
	return &connShares{share: max(maxConns-maxConns/4, 1), anonShare: max(maxConns/connAnonShareDiv, 1),
		per: make(map[string]int), active: make(map[net.Conn]string)}
}

// track is called from the listener's ConnState hook; it reports whether
// conn must be closed because its client has its share of connections
// busy already.
func (c *connShares) track(conn net.Conn, st http.ConnState) (refuse bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st != http.StateActive {
		if key, counted := c.active[conn]; counted {
			if c.per[key]--; c.per[key] == 0 {
				delete(c.per, key)
			}
			delete(c.active, conn)
		}
		return false
	}
	if _, counted := c.active[conn]; counted {
		return false
	}
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return false
	}
	key, limit := "", c.anonShare
	if id := identifyState(new(tc.ConnectionState())); id.authenticated {
		key, limit = shareKey(id), c.share
	}
	if c.per[key] >= limit {
		return true
	}
	c.per[key]++
	c.active[conn] = key
	return false
}

// shareConns applies connShares to the TLS listener l: a connection whose
// client holds its share is closed at its first request.
func (s *Server) shareConns(l *listener) {
	cs := newConnShares(s.cfg.MaxConnections)
	track := l.srv.ConnState
	l.srv.ConnState = func(c net.Conn, st http.ConnState) {
		track(c, st)
		if cs.track(c, st) {
			s.ops.throttle.Log(context.Background(), slog.LevelWarn, "connection-share",
				"connection refused: its client holds its share of webserver.max-connections",
				"share", cs.share, "unauthenticated-share", cs.anonShare)
			_ = c.Close()
		}
	}
}

// closeUnread makes a refusal close an HTTP/1 connection whose request
// body was not read, instead of net/http reading up to 256 KiB of it first
// (for as long as Config.BodyTimeout): a client refused before its body is
// read must not hold the connection while it trickles the body. The
// answer is written all the same: the deadline ends reads only.
func closeUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 && r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}
