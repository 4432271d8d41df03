package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// conns tracks a listener's connections by state, for two purposes:
//
//   - a graceful stop closes at once the connections that have not begun a
//     request (still in the TLS handshake, or connected and silent).
//     http.Server.Shutdown waits up to five seconds for those, because it
//     cannot tell them from a request about to arrive; a client that gave
//     up during its handshake would otherwise delay every stop by that long;
//   - the number of open connections is bounded (Config.MaxConnections):
//     at the bound, a new connection closes the oldest one with no request
//     in progress, or is refused when every connection has one.
type conns struct {
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

func newConns(max int) *conns {
	return &conns{max: max, state: make(map[net.Conn]connState)}
}

// track is the http.Server's ConnState hook.
func (c *conns) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(c.state, conn)
	default:
		c.state[conn] = connState{st: st, since: time.Now()}
	}
}

// closeNew closes the connections that have not begun a request.
func (c *conns) closeNew() {
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
func (c *conns) admit() bool {
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
func (c *conns) oldestIdle() net.Conn {
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
func (c *conns) closed() {
	c.mu.Lock()
	c.open--
	c.mu.Unlock()
}

// cappedListener applies conns' bound to the connections it accepts.
type cappedListener struct {
	net.Listener
	conns   *conns
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
	conns *conns
	once  sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.conns.closed)
	return err
}
