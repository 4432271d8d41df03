package analytics

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"

	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// errStaleConn makes net/http drop a keep-alive connection made with
// certificate files that have since been replaced, and send the request
// on a new one (nothing was written, so the request is replayed).
var errStaleConn = errors.New("analytics: connection made with replaced certificate files")

// useCertificates makes tr take its TLS material from certs at each
// handshake and stop using connections made with older material: idle
// ones are closed when new files are loaded, and one that was busy then
// is closed when next picked for a request.
func useCertificates(tr *http.Transport, certs *tlsfiles.Reloader) {
	tc := certs.ClientConfig()
	tr.TLSClientConfig = tc
	dial := tr.DialContext
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := tc
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(addr)
			cfg = tc.Clone()
			cfg.ServerName = host
		}
		conn := tls.Client(raw, cfg)
		hctx, cancel := context.WithTimeout(ctx, tr.TLSHandshakeTimeout)
		defer cancel()
		if err := conn.HandshakeContext(hctx); err != nil {
			_ = raw.Close()
			return nil, err
		}
		return &certConn{Conn: conn, certs: certs, gen: certs.Generation()}, nil
	}
}

// certConn is a TLS connection that knows which certificate files it was
// made with.
type certConn struct {
	*tls.Conn
	certs *tlsfiles.Reloader
	gen   uint64
}

// Write refuses, and closes the connection, once newer files are in use.
// net/http writes a request's head in the first write, so a connection
// taken from the pool after new files were loaded is refused before any
// of the request is sent, and net/http sends it on a new connection.
func (c *certConn) Write(p []byte) (int, error) {
	if c.certs.Generation() != c.gen {
		_ = c.Conn.Close()
		return 0, errStaleConn
	}
	return c.Conn.Write(p)
}
