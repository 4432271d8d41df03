package analytics

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// errStaleConn makes net/http drop a keep-alive connection made with
// certificate files that have since been replaced, and send the request
// on a new one (nothing was written, so the request is replayed).
var errStaleConn = errors.New("analytics: connection made with replaced certificate files")

// ErrRevoked is in the chain of the error of a call refused because the
// service's certificate (or a CA above it) is revoked by the CRL of
// SSLOpts.CRLFile. The error is a *RevokedError, and ErrUnreachable too.
var ErrRevoked = errors.New("analytics: certificate revoked")

// RevokedError is a service certificate refused during the handshake
// because a CRL revokes it (or a CA certificate of its chain). It matches
// ErrRevoked; the TLS verification error is in its chain.
type RevokedError struct {
	// Subject and Serial (hexadecimal) name the revoked certificate.
	Subject string
	Serial  string
	// CRLFile is the file that revokes it.
	CRLFile string
	err     error
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("the service's certificate %q (serial %s) is revoked by the CRL in %s: refusing the connection",
		e.Subject, e.Serial, e.CRLFile)
}

// Is reports whether target is ErrRevoked.
func (e *RevokedError) Is(target error) bool { return target == ErrRevoked }

// Unwrap returns the TLS verification error.
func (e *RevokedError) Unwrap() error { return e.err }

// handshakeError is err, the failure of a handshake made with certs; a
// revoked service certificate becomes a *RevokedError.
func handshakeError(err error, crlFile string) error {
	var re *tlsfiles.RevokedError
	if !errors.As(err, &re) {
		return err
	}
	return &RevokedError{Subject: re.Cert.Subject.String(), Serial: re.Cert.SerialNumber.Text(16), CRLFile: crlFile, err: err}
}

// useCertificates makes tr take its TLS material from certs at each
// handshake and stop using connections made with older material: idle
// ones are closed when new files are loaded, and one that was busy then
// is closed when next picked for a request.
func useCertificates(tr *http.Transport, certs *tlsfiles.Reloader, crlFile string) {
	dial := tr.DialContext
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		raw, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// The certificate must name the URL's host, an IP address too.
		conn := tls.Client(raw, certs.ClientConfig(host))
		hctx, cancel := context.WithTimeout(ctx, tr.TLSHandshakeTimeout)
		defer cancel()
		if err := conn.HandshakeContext(hctx); err != nil {
			_ = raw.Close()
			return nil, handshakeError(err, crlFile)
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
