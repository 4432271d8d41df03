package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// String returns what was written so far.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pairClient is a client presenting pair, trusting the CA bundle of ts,
// with a new connection (a new handshake) per request.
func pairClient(t *testing.T, ts *testServer, pair *pki.Pair) *http.Client {
	t.Helper()
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ts.pki.CertPool()
	if err != nil {
		t.Fatal(err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, Certificates: []tls.Certificate{cert}}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// withCRL starts the service with a CRL file (revoking nothing) next to
// its CA, checking its files at every handshake.
func withCRL(t *testing.T, log *slog.Logger, auth server.ClientAuth) (*testServer, *pki.CA, string) {
	t.Helper()
	var crlPath string
	var ca *pki.CA
	ts := startServer(t, func(c *server.Config) {
		var err error
		if ca, err = pki.LoadCA(c.TLS.CAFile, filepath.Join(filepath.Dir(c.TLS.CAFile), "ca-key.pem")); err != nil {
			t.Fatal(err)
		}
		crlPath = filepath.Join(filepath.Dir(c.TLS.CAFile), "crl.pem")
		writeCRL(t, ca, crlPath, false)
		c.TLS.CRLFile = crlPath
		c.CertCheckInterval = time.Nanosecond
		c.Logger = log
		c.TLS.ClientAuth = auth
	})
	return ts, ca, crlPath
}

// writeCRL writes a CRL of ca revoking certs, by rename or in place.
func writeCRL(t *testing.T, ca *pki.CA, path string, inPlace bool, certs ...*x509.Certificate) {
	t.Helper()
	data, err := ca.CRL(certs...)
	if err != nil {
		t.Fatal(err)
	}
	if inPlace {
		err = os.WriteFile(path, data, 0o644)
	} else {
		err = pki.WriteFile(path, data, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestCRLUpdatedWhileRunning revokes one of two client certificates by
// rewriting the CRL file while the service runs (by rename, then in
// place): its next connection is refused in the handshake, the other
// client's still work, and a CRL that does not verify keeps the previous
// one with one ERROR line.
func TestCRLUpdatedWhileRunning(t *testing.T) {
	var log lockedBuffer
	ts, ca, crlPath := withCRL(t, slog.New(slog.NewTextHandler(&log, nil)), server.ClientAuthNeed)
	agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Issue("other.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	agentC, otherC := pairClient(t, ts, agent), pairClient(t, ts, other)
	for _, c := range []*http.Client{agentC, otherC} {
		if got := do(t, c, "GET", ts.url, ""); got.status != 200 {
			t.Fatalf("before revocation: %d", got.status)
		}
	}
	for _, inPlace := range []bool{false, true} {
		writeCRL(t, ca, crlPath, inPlace, agent.Cert)
		if _, err := tryDo(agentC, "GET", ts.url, ""); err == nil || !isHandshakeFailure(err) {
			t.Fatalf("revoked certificate (CRL written in place: %v): err = %v, want a handshake failure", inPlace, err)
		}
		if got := do(t, otherC, "POST", ts.url+"/commands/event", `{"event":"still.in"}`); got.status != 200 {
			t.Fatalf("certificate not revoked: %d %s", got.status, got.body)
		}
		writeCRL(t, ca, crlPath, inPlace)
		if got := do(t, agentC, "GET", ts.url, ""); got.status != 200 {
			t.Fatalf("after the revocation was lifted: %d", got.status)
		}
	}

	writeCRL(t, ca, crlPath, false, agent.Cert)
	if _, err := tryDo(agentC, "GET", ts.url, ""); err == nil {
		t.Fatal("revoked certificate accepted")
	}
	stranger, err := pki.NewCA("stranger")
	if err != nil {
		t.Fatal(err)
	}
	writeCRL(t, stranger, crlPath, false)
	for range 3 {
		if _, err := tryDo(agentC, "GET", ts.url, ""); err == nil {
			t.Fatal("a CRL signed by another CA replaced the one in use")
		}
	}
	if n := strings.Count(log.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for one bad CRL, want 1:\n%s", n, log.String())
	}
	if !strings.Contains(log.String(), "not signed by a CA") {
		t.Errorf("the ERROR line does not say what is wrong:\n%s", log.String())
	}
}

// TestRevokedRefusedUnderWant: under client-auth want a revoked
// certificate is refused in the handshake too, not let in as anonymous.
func TestRevokedRefusedUnderWant(t *testing.T) {
	ts, ca, crlPath := withCRL(t, discard(), server.ClientAuthWant)
	agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeCRL(t, ca, crlPath, false, agent.Cert)
	if _, err := tryDo(pairClient(t, ts, agent), "GET", ts.url, ""); err == nil || !isHandshakeFailure(err) {
		t.Fatalf("revoked certificate under want: err = %v, want a handshake failure", err)
	}
}

// TestCRLRefusedAtStart: a CRL that does not parse or verify is a
// configuration error naming the field and the file.
func TestCRLRefusedAtStart(t *testing.T) {
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := pki.NewCA("stranger")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := stranger.CRL()
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		data   []byte
		reason string
	}{
		"garbage":     {[]byte("not a CRL"), "is not PEM"},
		"certificate": {pki.EncodeCerts(), "holds no CRL"},
		"truncated":   {[]byte("-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n"), "cannot be parsed"},
		"foreign":     {foreign, "not signed by a CA"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "crl.pem")
			if name == "certificate" {
				tc.data, _ = os.ReadFile(b.CACert)
			}
			os.WriteFile(path, tc.data, 0o644)
			srv, err := server.New(server.Config{DataDir: t.TempDir(), HTTPSAddr: "127.0.0.1:0", Logger: discard(),
				TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert, CRLFile: path}})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close(context.Background())
			err = srv.Listen(context.Background())
			var ce *server.ConfigError
			if !errors.As(err, &ce) || ce.Field != "TLS.CRLFile" || ce.File != path || !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("Listen: %v, want TLS.CRLFile %s: %s", err, path, tc.reason)
			}
		})
	}
}

// TestServerCertificateReplacedWhileClientsConnect renews the service's
// certificate three times (key and certificate each replaced by rename,
// so for a moment they do not match) while clients keep making new
// connections: none fails, and each renewed certificate is presented.
func TestServerCertificateReplacedWhileClientsConnect(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.CertCheckInterval = time.Nanosecond; c.Logger = discard() })
	ca, err := ts.pki.CA()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen, changed := map[string]bool{}, make(chan struct{})
	stop, failures := make(chan struct{}), make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.newClient(t, true, true)
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(ts.url)
				if err != nil {
					failures <- err
					return
				}
				resp.Body.Close()
				serial := resp.TLS.PeerCertificates[0].SerialNumber.String()
				mu.Lock()
				if !seen[serial] {
					seen[serial] = true
					close(changed)
					changed = make(chan struct{})
				}
				mu.Unlock()
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := range 3 {
		next, err := ca.Issue(pki.ServerCommonName, []string{"localhost", "127.0.0.1"}, x509.ExtKeyUsageServerAuth, time.Duration(100+i)*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteFile(ts.pki.ServerKey, next.KeyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteFile(ts.pki.ServerCert, next.CertPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		awaitSerial(t, &mu, seen, &changed, failures, next.Cert.SerialNumber.String())
		if got := ts.srv.CertificateExpiry(); !got.Equal(next.Cert.NotAfter) {
			t.Errorf("renewal %d: CertificateExpiry %v, want %v", i+1, got, next.Cert.NotAfter)
		}
	}
}

// awaitSerial waits until a client has been presented the certificate
// with serial, failing on a client's error or after 30 s.
func awaitSerial(t *testing.T, mu *sync.Mutex, seen map[string]bool, changed *chan struct{}, failures chan error, serial string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		mu.Lock()
		ok, ch := seen[serial], *changed
		mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case err := <-failures:
			t.Fatalf("a client failed while the certificate was replaced: %v", err)
		case <-deadline:
			t.Fatalf("certificate %s not presented within 30 s", serial)
		}
	}
}

// TestResumedSessionsRechecked: a client resuming a TLS session (no
// certificate exchanged) is refused once its certificate is revoked, or
// once its CA has left the bundle.
func TestResumedSessionsRechecked(t *testing.T) {
	for _, change := range []string{"revoked", "CA removed"} {
		t.Run(change, func(t *testing.T) {
			ts, ca, crlPath := withCRL(t, discard(), server.ClientAuthNeed)
			agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
			if err != nil {
				t.Fatal(err)
			}
			c := pairClient(t, ts, agent)
			c.Transport.(*http.Transport).TLSClientConfig.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for range 2 {
				if got := do(t, c, "GET", ts.url, ""); got.status != 200 {
					t.Fatalf("before: %d", got.status)
				}
			}
			resp, err := c.Get(ts.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if !resp.TLS.DidResume {
				t.Fatal("the session was not resumed; the test shows nothing")
			}
			if change == "revoked" {
				writeCRL(t, ca, crlPath, false, agent.Cert)
			} else {
				other, err := pki.NewCA("next CA")
				if err != nil {
					t.Fatal(err)
				}
				writeCRL(t, other, crlPath, false) // the CRL must be signed by a CA of the new bundle
				if err := pki.WriteFile(ts.pki.CACert, pki.EncodeCerts(other.Cert), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if resp, err := c.Get(ts.url); err == nil {
				resp.Body.Close()
				t.Fatalf("a resumed session was let in after the change (resumed: %v)", resp.TLS.DidResume)
			}
		})
	}
}
