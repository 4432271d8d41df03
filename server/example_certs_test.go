package server_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// A renewed certificate is put in place (by rename, as Puppet writes it)
// and the service told at once, as analyticsd does on SIGHUP; without the
// call it would notice within CertCheckInterval. CertificateExpiry shows
// the certificate in use, e.g. for a monitoring check.
func ExampleServer_ReloadCertificates() {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := pki.Generate(dir)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{DataDir: dir, HTTPSAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
		TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(context.Background())
	if err := srv.Listen(context.Background()); err != nil {
		log.Fatal(err)
	}

	// Renew: a certificate valid for 90 days, key first, then certificate.
	ca, err := b.CA()
	if err != nil {
		log.Fatal(err)
	}
	renewed, err := ca.Issue(pki.ServerCommonName, []string{"localhost", "127.0.0.1"}, x509.ExtKeyUsageServerAuth, 90*24*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	if err := pki.WriteFile(b.ServerKey, renewed.KeyPEM, 0o600); err != nil {
		log.Fatal(err)
	}
	if err := pki.WriteFile(b.ServerCert, renewed.CertPEM, 0o644); err != nil {
		log.Fatal(err)
	}

	if err := srv.ReloadCertificates(); err != nil {
		log.Fatal(err) // the files in use are kept; the error says what is wrong with the new ones
	}
	days := time.Until(srv.CertificateExpiry()).Hours() / 24
	fmt.Printf("the certificate in use expires in %.0f days\n", days)
	// Output:
	// the certificate in use expires in 90 days
}
