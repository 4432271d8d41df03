package tlsfiles_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// The service's certificate must name the dialled host, an IP address
// too: TLS sends no server name for an IP, and a verification without a
// name would take any certificate the CA signed (with Puppet's CA, every
// agent's). A certificate for another name is refused; one naming the
// address is taken.
func TestServiceCertificateMustNameTheIPAddress(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("Puppet CA")
	if err != nil {
		t.Fatal(err)
	}
	node, err := ca.WritePuppetSSLDir(filepath.Join(dir, "node"), "node1.example.com")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := tlsfiles.New(tlsfiles.Files{CertFile: node.CertFile, KeyFile: node.KeyFile, CAFile: node.CAFile},
		tlsfiles.Options{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		hosts []string
		ok    bool
	}{
		{"another name", []string{"other.example"}, false},
		{"another address", []string{"127.0.0.2"}, false},
		{"the address", []string{"127.0.0.1"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pair, err := ca.Issue("service", tc.hosts, x509.ExtKeyUsageServerAuth, 0)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
			if err != nil {
				t.Fatal(err)
			}
			addr := serveTLS(t, cert)
			conn, err := certs.DialTLS(context.Background(), (&net.Dialer{}).DialContext, "tcp", addr)
			if conn != nil {
				_ = conn.Close()
			}
			if (err == nil) != tc.ok {
				t.Fatalf("dial %s with a certificate for %v: %v, want ok=%v", addr, tc.hosts, err, tc.ok)
			}
		})
	}
}

// serveTLS accepts connections on loopback with cert and completes their
// handshakes until the test ends; it returns the address.
func serveTLS(t *testing.T, cert tls.Certificate) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String()
}
