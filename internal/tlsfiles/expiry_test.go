package tlsfiles_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// expiredRoot is a self-signed CA certificate that expired years ago, as
// system bundles hold.
func expiredRoot(t *testing.T, n int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(n), Subject: pkix.Name{CommonName: "old root"},
		NotBefore: time.Now().AddDate(-20, 0, 0), NotAfter: time.Now().AddDate(-10, 0, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestExpiredRootsInBundleNotWarned: roots of the CA bundle that did not
// issue the certificate in use are not looked at, however long expired.
func TestExpiredRootsInBundleNotWarned(t *testing.T) {
	f := newFixture(t)
	certs := []*x509.Certificate{f.ca.Cert}
	for i := range 5 {
		certs = append(certs, expiredRoot(t, int64(i+1)))
	}
	if err := os.WriteFile(f.files.CAFile, pki.EncodeCerts(certs...), 0o600); err != nil {
		t.Fatal(err)
	}
	var log logSink
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Current().CAs) != 6 {
		t.Fatalf("%d CAs loaded, want 6", len(r.Current().CAs))
	}
	if n := log.count("level=WARN"); n != 0 {
		t.Errorf("%d WARN lines for roots nothing uses:\n%s", n, log.String())
	}
}

// TestExpiredCertificateSaysExpired: a certificate in use past its end is
// said to have expired, not to expire soon.
func TestExpiredCertificateSaysExpired(t *testing.T) {
	f := newFixture(t)
	f.renew(t, 24*time.Hour)
	old := time.Now().Add(-time.Hour) // files not just written: not read again
	for _, name := range []string{f.files.CertFile, f.files.KeyFile, f.files.CAFile} {
		if err := os.Chtimes(name, old, old); err != nil {
			t.Fatal(err)
		}
	}
	var log logSink
	clk := &clock{now: time.Now()}
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: time.Second, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if log.count("certificate expires soon") != 1 {
		t.Fatalf("at load:\n%s", log.String())
	}
	clk.add(50 * time.Hour) // past the end, and past the once-a-day throttle
	r.Current()
	if log.count("tls: certificate has expired") != 1 || log.count("expires soon") != 1 {
		t.Errorf("want one 'has expired' line after the end:\n%s", log.String())
	}
}

// TestUnreadableFileNamedOnce: a file that cannot be read is named once
// in the error, not again in the system error's text.
func TestUnreadableFileNamedOnce(t *testing.T) {
	f := newFixture(t)
	f.files.CAFile = t.TempDir() // a directory: read fails
	_, err := tlsfiles.New(f.files, tlsfiles.Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil || strings.Count(err.Error(), f.files.CAFile) != 1 || !strings.Contains(err.Error(), "cannot be read: is a directory") {
		t.Errorf("error %v, want it to name %s once and say why", err, f.files.CAFile)
	}
}
