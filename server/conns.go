package server

import (
	"net"
	"net/http"
	"sync"
)

// conns tracks a listener's connections by state, so that a graceful stop
// can close at once the connections that have not begun a request (still
// in the TLS handshake, or connected and silent). http.Server.Shutdown
// waits up to five seconds for those, because it cannot tell them from a
// request about to arrive; a client that gave up during its handshake
// would otherwise delay every stop by that long.
type conns struct {
	mu    sync.Mutex
	state map[net.Conn]http.ConnState
}

func newConns() *conns { return &conns{state: make(map[net.Conn]http.ConnState)} }

// track is the http.Server's ConnState hook.
func (c *conns) track(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch st {
	case http.StateClosed, http.StateHijacked:
		delete(c.state, conn)
	default:
		c.state[conn] = st
	}
}

// closeNew closes the connections that have not begun a request.
func (c *conns) closeNew() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn, st := range c.state {
		if st == http.StateNew {
			_ = conn.Close()
		}
	}
}
