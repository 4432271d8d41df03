package tlsfiles_test

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// A client with a CRL refuses a server whose certificate it revokes, with
// an error that is both the verification failure it is and ErrRevoked, and
// trusts it again once a CRL without it is loaded.
func TestClientRefusesARevokedServer(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("Puppet CA")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.WritePuppetSSLDir(filepath.Join(dir, "server"), "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	node, err := ca.WritePuppetSSLDir(filepath.Join(dir, "node"), "node1.example.com")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(srv.CertFile, srv.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
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
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-done }()

	rl, err := tlsfiles.New(tlsfiles.Files{CertFile: node.CertFile, KeyFile: node.KeyFile, CAFile: node.CAFile, CRLFile: node.CRLFile},
		tlsfiles.Options{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	dial := func() error {
		cfg := rl.ClientConfig("localhost")
		c, err := tls.Dial("tcp", ln.Addr().String(), cfg)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		t.Fatalf("before revocation: %v", err)
	}

	if err := node.Revoke(ca, srv.Cert); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	err = dial()
	var re *tlsfiles.RevokedError
	var cve *tls.CertificateVerificationError
	if !errors.Is(err, tlsfiles.ErrRevoked) || !errors.As(err, &re) || !errors.As(err, &cve) {
		t.Fatalf("error %v, want ErrRevoked in a *tls.CertificateVerificationError", err)
	}
	if re.Cert.SerialNumber.Cmp(srv.Cert.SerialNumber) != 0 {
		t.Errorf("revoked serial %s, want the server's %s", re.Cert.SerialNumber, srv.Cert.SerialNumber)
	}

	if err := node.Revoke(ca); err != nil {
		t.Fatal(err)
	}
	if err := rl.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); err != nil {
		t.Errorf("after the CRL was replaced: %v", err)
	}
}
