// Package limits bounds what clients can make the service hold: open
// connections per listener ([Conns]), request-body bytes in memory across
// all requests ([Budget]), and the time and size of one body ([ReadBody],
// [BodyDeadline]).
//
// The service core sets the bounds from its Config, wraps its listeners and
// handlers with these pieces and words the answers (413, 408, 503); the
// pieces report what happened as errors and callbacks and never write a
// response themselves.
package limits

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Conns tracks a listener's connections by state, for two purposes:
//
//   - a graceful stop closes at once the connections that have not begun a
//     request (still in the TLS handshake, or connected and silent).
//     http.Server.Shutdown waits up to five seconds for those, because it
//     cannot tell them from a request about to arrive; a client that gave
//     up during its handshake would otherwise delay every stop by that long;
//   - the number of open connections is bounded (the service's
//     MaxConnections): at the bound, a new connection closes the oldest one
//     with no request in progress, or is refused when every connection has
//     one.
//
// Concurrency: every method may be called from any goroutine. mu guards
// open and state; no connection is closed while mu is held (closing one
// calls back into Track and the count).
type Conns struct {
	max int

	mu    sync.Mutex
	open  int // accepted and not yet closed, tracked or not
	state map[net.Conn]connState
}

// connState is a tracked connection's state and when it entered it.
type connState struct {
	st    http.ConnState
	since time.Time
}

// NewConns bounds a listener to max open connections; see Listener.
func NewConns(max int) *Conns {
	return &Conns{max: max, state: make(map[net.Conn]connState)}
}

// Track is the http.Server's ConnState hook.
func (c *Conns) Track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(c.state, conn)
	default:
		c.state[conn] = connState{st: st, since: time.Now()}
	}
}

// CloseNew closes the connections that have not begun a request; a
// graceful stop calls it so as not to wait for them.
func (c *Conns) CloseNew() {
	var fresh []net.Conn
	c.mu.Lock()
	for conn, cs := range c.state {
		if cs.st == http.StateNew {
			fresh = append(fresh, conn)
		}
	}
	c.mu.Unlock()
	for _, conn := range fresh { // outside c.mu: closing takes it back
		_ = conn.Close()
	}
}

// admit reports whether a newly accepted connection may be served, making
// room for it by closing the oldest connection without a request in
// progress when the bound is reached.
func (c *Conns) admit() bool {
	c.mu.Lock()
	if c.open < c.max {
		c.open++
		c.mu.Unlock()
		return true
	}
	victim := c.oldestIdle()
	if victim == nil {
		c.mu.Unlock()
		return false
	}
	delete(c.state, victim) // so that no other admit picks it too
	c.open++                // the victim's close takes its count back
	c.mu.Unlock()
	_ = victim.Close()
	return true
}

// oldestIdle is the connection that has been longest without a request in
// progress (new or idle), nil if none; c.mu is held.
func (c *Conns) oldestIdle() net.Conn {
	var victim net.Conn
	var since time.Time
	for conn, cs := range c.state {
		if (cs.st == http.StateNew || cs.st == http.StateIdle) && (victim == nil || cs.since.Before(since)) {
			victim, since = conn, cs.since
		}
	}
	return victim
}

// closed takes back the count of a connection admit let in.
func (c *Conns) closed() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

// Listener applies c's bound to the connections ln accepts. refused is
// called, on the accepting goroutine, for each connection closed because
// every connection had a request in progress. c must be ln's http.Server's
// ConnState hook (Track) too, or it cannot tell idle connections from busy
// ones.
func (c *Conns) Listener(ln net.Listener, refused func()) net.Listener {
	return &cappedListener{Listener: ln, conns: c, refused: refused}
}

// cappedListener applies a Conns' bound to the connections it accepts.
type cappedListener struct {
	net.Listener
	conns   *Conns
	refused func() // called for each connection refused at the bound
}

// Accept returns the next connection admitted; a refused one is closed at
// once (the client sees the connection reset or closed, and may retry).
func (l *cappedListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.conns.admit() {
			return &countedConn{Conn: conn, conns: l.conns}, nil
		}
		_ = conn.Close()
		l.refused()
	}
}

// countedConn gives its count back to conns when it is first closed.
type countedConn struct {
	net.Conn
	conns *Conns
	once  sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.conns.closed)
	return err
}
