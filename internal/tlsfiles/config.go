package tlsfiles

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
)

// ErrRevoked is in the chain of the handshake error of a peer whose
// certificate a CRL revokes.
var ErrRevoked = errors.New("certificate revoked")

// RevokedError is a peer certificate that a CRL revokes; it wraps
// ErrRevoked.
type RevokedError struct {
	Cert *x509.Certificate
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("tls: certificate %q (serial %s): %v", e.Cert.Subject.CommonName, e.Cert.SerialNumber.Text(16), ErrRevoked)
}

// Unwrap returns ErrRevoked.
func (e *RevokedError) Unwrap() error { return ErrRevoked }

// ClientConfig returns a TLS 1.2+ client configuration for a connection
// to host (a DNS name or an IP address) that presents the current
// certificate (GetClientCertificate) and, when a CA bundle is named,
// verifies the service against the current bundle (VerifyConnection: the
// standard verification done with the bundle of the moment instead of a
// fixed RootCAs), the service's certificate naming host. The name is
// checked against host, not the handshake's server name: TLS sends none
// for an IP address, and a verification without a name would take any
// certificate of the CA. Without a CA bundle the system roots verify the
// service as usual. DialTLS makes the connection for a dialled address.
func (r *Reloader) ClientConfig(host string) *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if r.files.CertFile != "" {
		tc.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return r.Current().Cert, nil
		}
	}
	if r.files.CAFile != "" {
		// The verification is VerifyConnection's, against the bundle in
		// use at this handshake.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			return r.Current().verifyServer(cs, host)
		}
	}
	return tc
}

// DialTLS connects to addr with dial and makes the handshake with
// ClientConfig for addr's host, within ctx.
func (r *Reloader) DialTLS(ctx context.Context, dial func(ctx context.Context, network, addr string) (net.Conn, error), network, addr string) (*tls.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	raw, err := dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := tls.Client(raw, r.ClientConfig(host))
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return conn, nil
}

// errNoServerName refuses a verification that has no name to check.
var errNoServerName = errors.New("tls: no server name to check the service's certificate against")

// verifyServer is crypto/tls's own verification of a server certificate
// for host, against m's CA bundle, then the CRLs: a revoked certificate is
// a *tls.CertificateVerificationError around a *RevokedError, so that it
// reads as the verification failure it is.
func (m *Material) verifyServer(cs tls.ConnectionState, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	if host == "" {
		return errNoServerName
	}
	opts := x509.VerifyOptions{Roots: m.Roots, DNSName: host, Intermediates: x509.NewCertPool()}
	for _, c := range cs.PeerCertificates[1:] {
		opts.Intermediates.AddCert(c)
	}
	chains, err := cs.PeerCertificates[0].Verify(opts)
	if err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
	}
	for _, chain := range chains {
		if c := m.Revoked(chain); c != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: &RevokedError{Cert: c}}
		}
	}
	return nil
}

// ServerConfig returns a server configuration built on template (its
// ClientAuth, MinVersion, NextProtos and the like) whose GetConfigForClient
// gives each handshake the current Material: its certificate, its CA
// bundle as ClientCAs, and a VerifyConnection that refuses a client
// certificate a CRL revokes, or whose CA has left the bundle (a resumed
// session does not verify the chain again).
func (r *Reloader) ServerConfig(template *tls.Config) *tls.Config {
	base := template.Clone()
	var cache atomic.Pointer[serverConfig]
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		m := r.Current()
		c := cache.Load()
		if c == nil || c.m != m {
			c = &serverConfig{m: m, tc: m.serverConfig(template)}
			cache.Store(c)
		}
		return c.tc, nil
	}
	return base
}

// serverConfig is the configuration built for one Material.
type serverConfig struct {
	m  *Material
	tc *tls.Config
}

func (m *Material) serverConfig(template *tls.Config) *tls.Config {
	tc := template.Clone()
	if m.Cert != nil {
		tc.Certificates = []tls.Certificate{*m.Cert}
	}
	tc.ClientCAs = m.Roots
	tc.VerifyConnection = m.verifyClient
	return tc
}

// verifyClient checks the chains crypto/tls verified against m's bundle.
func (m *Material) verifyClient(cs tls.ConnectionState) error {
	for _, chain := range cs.VerifiedChains {
		if c := m.Revoked(chain); c != nil {
			return &RevokedError{Cert: c}
		}
		if !m.trusts(chain[len(chain)-1]) {
			return fmt.Errorf("tls: client certificate %q: its CA is no longer in the CA bundle", chain[0].Subject.CommonName)
		}
	}
	return nil
}

func (m *Material) trusts(root *x509.Certificate) bool {
	for _, ca := range m.CAs {
		if ca.Equal(root) {
			return true
		}
	}
	return false
}
