package main

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/puppettest"
)

// tlsServer starts an HTTPS server on loopback presenting a certificate
// that ca issues for hosts, valid for validity (negative: expired).
func tlsServer(t *testing.T, ca *pki.CA, hosts []string, validity time.Duration) *httptest.Server {
	t.Helper()
	pair, err := ca.Issue("service", hosts, x509.ExtKeyUsageServerAuth, validity)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Each certificate failure exits 4, not 3 (unreachable), with a hint
// that names the flag or file to fix.
func TestCertificateFailures(t *testing.T) {
	srv := analyticstest.NewServer(t)
	good := srv.Config()
	other, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := other.CA()
	if err != nil {
		t.Fatal(err)
	}
	otherCfg := func(url string) analytics.Config {
		return analytics.Config{URL: url, SSL: &analytics.SSLOpts{CertFile: other.ClientCert, KeyFile: other.ClientKey, CAFile: other.CACert}}
	}
	wrongName := tlsServer(t, ca, []string{"other.example"}, 0)
	expired := tlsServer(t, ca, []string{"127.0.0.1"}, -time.Minute)
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)

	unknownCA := good
	unknownCA.SSL = &analytics.SSLOpts{CertFile: good.SSL.CertFile, KeyFile: good.SSL.KeyFile, CAFile: other.CACert}
	foreignClient := good
	foreignClient.SSL = &analytics.SSLOpts{CertFile: other.ClientCert, KeyFile: other.ClientKey, CAFile: good.SSL.CAFile}

	for _, tt := range []struct {
		name string
		cfg  analytics.Config
		want []string
	}{
		{"unknown authority", unknownCA, []string{"the service's certificate", "is not signed by the CA in --ssl-ca-cert " + other.CACert,
			"unknown authority"}},
		{"client certificate refused", foreignClient, []string{"the service refused the client certificate in --ssl-cert " + other.ClientCert,
			"not signed by a CA the service trusts"}},
		// By name: an IP address is not sent as SNI, and tlsfiles verifies
		// the name the handshake carried.
		{"name mismatch", otherCfg(byName(wrongName.URL) + "/analytics"), []string{"is for other.example, not localhost",
			"use one of those names in --url " + byName(wrongName.URL)}},
		{"expired", otherCfg(expired.URL + "/analytics"), []string{"the service's certificate \"CN=service\" is valid from", "renewed certificate"}},
		{"plain HTTP", otherCfg("https://" + plain.Listener.Addr().String() + "/analytics"), []string{"does not speak TLS", "write http:// in --url"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, cmd := range []string{"event", "entrypoint"} {
				args := []string{cmd}
				if cmd == "event" {
					args = append(args, "x")
				}
				r := runCLI(t, testEnv(t, nil), append(args, connFlags(tt.cfg)...)...)
				expect(t, r, exitTLS)
				oneLine(t, r.stderr, append(tt.want, "analytics: TLS: ", "(exit status 4)")...)
				if strings.Contains(r.stderr, "unreachable") {
					t.Errorf("a certificate failure called unreachable: %s", r.stderr)
				}
			}
		})
	}
	// The hint names the setting however it was given.
	conf := writeTK(t, unknownCA)
	r := runCLI(t, testEnv(t, nil), "event", "x", "--config", conf)
	expect(t, r, exitTLS)
	oneLine(t, r.stderr, "not signed by the CA in ssl-ca-cert "+other.CACert+" (from --config "+conf+")")
	r = runCLI(t, testEnv(t, sslEnv(unknownCA)), "entrypoint")
	expect(t, r, exitTLS)
	oneLine(t, r.stderr, "not signed by the CA in ANALYTICS_SSL_CA_CERT="+other.CACert+":")
	if n := len(srv.Events()); n != 0 {
		t.Errorf("the service stored %d events", n)
	}
}

// A service whose certificate the node's CRL revokes exits 4, naming the
// CRL file.
func TestRevokedService(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	if err := node.SSL.Revoke(site.CA, site.Service.Cert); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, testEnv(t, nil), "event", "x", "--puppet-conf", node.Conf)
	expect(t, r, exitTLS)
	oneLine(t, r.stderr, "is revoked by the CRL in "+node.SSL.CRLFile, "needs a new certificate", "(exit status 4)")
}

// --url alone naming the development service's address uses the
// certificates of its client config; another https URL without
// certificates is a usage error that names the flags and, when there is a
// development config, where its certificates are.
func TestURLWithDevCertificates(t *testing.T) {
	dev := analyticstest.NewServer(t)
	e := testEnv(t, nil)
	if err := devenv.WriteClientConfig(e.DevConfigPath, dev.Config(), ""); err != nil {
		t.Fatal(err)
	}
	// The same address written with localhost: still the dev service.
	local := strings.Replace(dev.URL, "127.0.0.1", "localhost", 1)
	for _, u := range []string{dev.URL, local} {
		r := runCLI(t, e, "event", "demo.url", "--url", u, "--quiet", "--verbose")
		expect(t, r, exitOK)
		oneLineIn(t, r.stderr, "connection settings from --url "+u, "with the certificates of the development config "+e.DevConfigPath)
	}
	if n := len(dev.Events()); n != 2 {
		t.Errorf("the dev service stored %d events, want 2", n)
	}
	// Stopped, it is unreachable, and the message asks whether it runs.
	stopped := analyticstest.NewServer(t)
	if err := devenv.WriteClientConfig(e.DevConfigPath, stopped.Config(), ""); err != nil {
		t.Fatal(err)
	}
	stopped.Close()
	r := runCLI(t, e, "entrypoint", "--url", stopped.URL)
	expect(t, r, exitUnreachable)
	oneLine(t, r.stderr, "is analyticsd running?", "(exit status 3)")
	if err := devenv.WriteClientConfig(e.DevConfigPath, dev.Config(), ""); err != nil {
		t.Fatal(err)
	}

	elsewhere := tlsServer(t, mustCA(t), []string{"127.0.0.1"}, 0)
	r = runCLI(t, e, "event", "x", "--url", elsewhere.URL+"/analytics")
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "--url "+elsewhere.URL+"/analytics is https but no certificates are given",
		"give --ssl-cert, --ssl-key and --ssl-ca-cert", "its certificates are in "+e.DevConfigPath,
		"--ssl-ca-cert "+dev.Config().SSL.CAFile, "(exit status 2)")

	r = runCLI(t, testEnv(t, map[string]string{"ANALYTICS_URL": elsewhere.URL}), "entrypoint")
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "ANALYTICS_URL="+elsewhere.URL+" is https but no certificates are given")
	if strings.Contains(r.stderr, "development") {
		t.Errorf("a development hint without a development config: %s", r.stderr)
	}
}

func mustCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// URL, port and duration mistakes are usage errors (2) that say what to
// write, before any traffic.
func TestSettingMistakes(t *testing.T) {
	srv := analyticstest.NewServer(t)
	ssl := connFlags(srv.Config())[2:]
	host := strings.TrimPrefix(srv.URL, "https://")
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--url", host}, []string{"--url " + host + " has no scheme: write https://" + host}},
		{[]string{"--url", "https://127.0.0.1:99999/analytics"}, []string{"--url https://127.0.0.1:99999/analytics: port 99999", "1 to 65535"}},
		{[]string{"--url", srv.URL, "--timeout", "abc"}, []string{`invalid value "abc" for flag -timeout`, "not a duration", "10s, 1m30s or 500ms"}},
		{[]string{"--url", srv.URL, "--timeout", "10"}, []string{"not a duration", "with a unit"}},
		{[]string{"--url", srv.URL, "--timeout", "-1s"}, []string{"must be more than 0"}},
		{[]string{"--url", "http" + strings.TrimPrefix(srv.URL, "https")}, []string{"certificates are given (--ssl-cert", "is not https"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, testEnv(t, nil), append(append([]string{"event", "x"}, tt.args...), ssl...)...)
			expect(t, r, exitUsage)
			oneLine(t, r.stderr, append(tt.want, "(exit status 2)")...)
		})
	}
	r := runCLI(t, testEnv(t, map[string]string{"ANALYTICS_URL": host}), append([]string{"entrypoint"}, ssl...)...)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "ANALYTICS_URL="+host+" has no scheme")
	if n := len(srv.Events()); n != 0 {
		t.Errorf("stored %d events after usage errors", n)
	}
}

// byName is URL u with the host written localhost.
func byName(u string) string { return strings.Replace(u, "127.0.0.1", "localhost", 1) }

// A certificate file that cannot be used is found before any traffic: a
// usage error (2) that names the flag or variable that gave it.
func TestCertificateFileMistakes(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dir := t.TempDir()
	b, err := pki.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := b.CA()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Issue("expired-client", nil, x509.ExtKeyUsageClientAuth, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	expiredCert, expiredKey := filepath.Join(dir, "expired.pem"), filepath.Join(dir, "expired-key.pem")
	if err := pki.WriteFile(expiredCert, pair.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFile(expiredKey, pair.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	good := srv.Config()
	missing := filepath.Join(dir, "nope.pem")

	r := runCLI(t, testEnv(t, nil), "event", "x", "--url", srv.URL, "--ssl-cert", expiredCert, "--ssl-key", expiredKey, "--ssl-ca-cert", good.SSL.CAFile)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "analytics: --ssl-cert "+expiredCert+": expired at", "(exit status 2)")

	r = runCLI(t, testEnv(t, map[string]string{"ANALYTICS_SSL_CA_CERT": missing}), "event", "x", "--url", srv.URL,
		"--ssl-cert", good.SSL.CertFile, "--ssl-key", good.SSL.KeyFile)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "analytics: ANALYTICS_SSL_CA_CERT="+missing+": ")
	if n := len(srv.Events()); n != 0 {
		t.Errorf("stored %d events", n)
	}
}
