package limits

import (
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// ErrShare: the client holds its share of the Budget already (see Shares).
var ErrShare = errors.New("limits: the client holds its share of request bodies in flight")

// Reserver reserves the memory of a body as ReadBody's buffer grows:
// Reserve takes n more bytes for a request that holds held already, or
// says why not (ErrBusy, ErrShare). A *Budget is one; a client's part of
// Shares (Shares.For) is another.
type Reserver interface {
	Reserve(n, held int64) error
}

// Reserve takes n bytes from the budget; ErrBusy when it has no room.
func (b *Budget) Reserve(n, _ int64) error {
	if !b.Take(n) {
		return ErrBusy
	}
	return nil
}

// FreeAfterBurst is how often, at most, Shares gives the memory of a burst
// of request bodies back to the operating system.
const FreeAfterBurst = 2 * time.Second

// Shares divides a Budget among clients, so that one client, or every
// unauthenticated one together, cannot hold it all: a client may hold
// PerClient bytes, the unauthenticated ones (client "") PerAnonymous
// together. A request whose client holds nothing else may always go on
// while the budget has room, so each client has one request in flight
// whatever its share.
//
// Once the budget is empty again after a burst that held half of it or
// more, Shares gives the burst's memory back to the operating system (the
// collector alone keeps it for minutes), at most once per FreeAfterBurst;
// a burst ending sooner after the last is given back when that time is up.
//
// Concurrency: every method may be called from any goroutine; mu guards
// the fields below it.
type Shares struct {
	budget                  *Budget
	perClient, perAnonymous int64
	free                    func()        // gives memory back: debug.FreeOSMemory
	every                   time.Duration // at most one give-back per: FreeAfterBurst

	mu       sync.Mutex
	held     map[string]int64
	peak     int64 // the most the budget held since memory was last given back
	lastFree time.Time
	timer    *time.Timer // a give-back scheduled
	closed   bool
}

// NewShares divides budget: perClient bytes for each client, perAnonymous
// for the unauthenticated ones together.
func NewShares(budget *Budget, perClient, perAnonymous int64) *Shares {
	return &Shares{budget: budget, perClient: perClient, perAnonymous: perAnonymous,
		free: debug.FreeOSMemory, every: FreeAfterBurst, held: make(map[string]int64)}
}

// Share is one client's part of Shares, a Reserver for ReadBody.
type Share struct {
	s      *Shares
	client string
}

// For is client's part of s; client "" is every unauthenticated client.
func (s *Shares) For(client string) Share { return Share{s, client} }

// Limit is the share of the client, in bytes.
func (sh Share) Limit() int64 {
	if sh.client == "" {
		return sh.s.perAnonymous
	}
	return sh.s.perClient
}

// Reserve takes n bytes from the budget (ErrBusy without room) and from
// the client's share (ErrShare past it, unless held is all the client
// holds: then its other requests hold nothing).
func (sh Share) Reserve(n, held int64) error {
	s := sh.s
	if !s.budget.Take(n) {
		return ErrBusy
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[sh.client]
	if h != held && h+n > sh.Limit() {
		s.budget.Give(n)
		return ErrShare
	}
	s.held[sh.client] = h + n
	s.peak = max(s.peak, s.budget.Used())
	return nil
}

// Give gives back n bytes Reserve took for the client.
func (sh Share) Give(n int64) {
	if n == 0 {
		return
	}
	s := sh.s
	s.mu.Lock()
	if h := s.held[sh.client] - n; h > 0 {
		s.held[sh.client] = h
	} else {
		delete(s.held, sh.client)
	}
	s.mu.Unlock()
	s.budget.Give(n)
	s.giveBack(time.Now())
}

// giveBack gives the memory of a burst back once the budget is empty.
func (s *Shares) giveBack(now time.Time) {
	s.mu.Lock()
	if s.closed || s.timer != nil || s.budget.Used() != 0 || s.peak < s.budget.limit/2 {
		s.mu.Unlock()
		return
	}
	if wait := s.lastFree.Add(s.every).Sub(now); wait > 0 {
		s.timer = time.AfterFunc(wait, func() {
			s.mu.Lock()
			s.timer = nil
			s.mu.Unlock()
			s.giveBack(time.Now())
		})
		s.mu.Unlock()
		return
	}
	s.peak, s.lastFree = 0, now
	s.mu.Unlock()
	s.free()
}

// Close stops a give-back scheduled and any later one.
func (s *Shares) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// ConnShares bounds per client the connections of one listener that have
// a request in progress: perClient for each client, perAnonymous for the
// unauthenticated ones together. A connection whose client has its share
// busy already is closed at its next request. Idle connections are not
// counted: the listener's bound (Conns) closes them to make room.
//
// Concurrency: Track may be called from any goroutine; mu guards per and
// active.
type ConnShares struct {
	perClient, perAnonymous int
	client                  func(net.Conn) (key string, counted bool)
	refused                 func()

	mu     sync.Mutex
	per    map[string]int
	active map[net.Conn]string // connections with a request in progress
}

// NewConnShares bounds connections per client. client names the client of
// a connection ("" for unauthenticated) or says it is not counted;
// refused is called for each connection closed at its share.
func NewConnShares(perClient, perAnonymous int, client func(net.Conn) (key string, counted bool), refused func()) *ConnShares {
	return &ConnShares{perClient: perClient, perAnonymous: perAnonymous, client: client, refused: refused,
		per: make(map[string]int), active: make(map[net.Conn]string)}
}

// Track is (part of) the listener's http.Server ConnState hook.
func (c *ConnShares) Track(conn net.Conn, st http.ConnState) {
	if c.track(conn, st) {
		_ = conn.Close() // outside c.mu
		c.refused()
	}
}

// track counts conn's state and reports whether conn must be closed.
func (c *ConnShares) track(conn net.Conn, st http.ConnState) (refuse bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key, counted := c.active[conn]
	if st != http.StateActive {
		if counted {
			if c.per[key]--; c.per[key] == 0 {
				delete(c.per, key)
			}
			delete(c.active, conn)
		}
		return false
	}
	if counted {
		return false
	}
	if key, counted = c.client(conn); !counted {
		return false
	}
	limit := c.perClient
	if key == "" {
		limit = c.perAnonymous
	}
	if c.per[key] >= limit {
		return true
	}
	c.per[key]++
	c.active[conn] = key
	return false
}

// CloseUnread makes an answer close an HTTP/1 connection whose request
// body was not read, instead of net/http reading up to 256 KiB of it
// first (for as long as the body deadline): a client refused before its
// body is read must not hold the connection while it trickles the body.
// The answer is written all the same: the deadline ends reads only.
func CloseUnread(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 && r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}
