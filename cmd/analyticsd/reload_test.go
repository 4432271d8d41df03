package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
)

// logWatch is a log sink that tells a waiting test when a line holding a
// given text has been written.
type logWatch struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced at every write
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.buf.Write(p)
}

func (l *logWatch) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// mark is the current end of the log.
func (l *logWatch) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// await returns the first line after from that holds text, failing the
// test after 30 s.
func (l *logWatch) await(t *testing.T, from int, text string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		rest, changed := l.buf.String()[from:], l.changed
		l.mu.Unlock()
		if i := strings.Index(rest, text); i >= 0 {
			line, _, _ := strings.Cut(rest[i:], "\n")
			return line
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line with %q within 30 s; log:\n%s", text, rest)
		}
	}
}

// TestHangupReloadsCertificates: with the files checked only every hour,
// a CRL rewritten while the service runs takes effect at SIGHUP, and a
// CRL that does not verify is refused then, keeping the one in use.
func TestHangupReloadsCertificates(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := b.CA()
	if err != nil {
		t.Fatal(err)
	}
	crl := filepath.Join(dir, "ssl", "crl.pem")
	writeCRLFile(t, ca, crl)
	agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, `webserver: { ssl-host: 127.0.0.1, ssl-port: 0, client-auth: need
    ssl-cert: `+b.ServerCert+`, ssl-key: `+b.ServerKey+`, ssl-ca-cert: `+b.CACert+`, ssl-crl-path: `+crl+` }
analytics: { data-directory: `+filepath.Join(dir, "data")+`, certificate-check-interval: 1h }
product.update-server-url: "http://127.0.0.1:1"`)
	log := newLogWatch()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--config", conf}, io.Discard, log) }()
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d; log:\n%s", c, log.String())
		}
	}()
	_, after, _ := strings.Cut(log.await(t, 0, "analytics service started"), " url=")
	url := strings.Fields(after)[0]

	agentC, own := pairHTTPClient(t, b, agent), pairHTTPClient(t, b, nil)
	mustStatus(t, agentC, "GET", url, "", 200)
	writeCRLFile(t, ca, crl, agent.Cert)
	mustStatus(t, agentC, "GET", url, "", 200) // not checked again for an hour

	from := log.mark()
	hangup(t)
	log.await(t, from, "SIGHUP: certificates checked")
	if _, err := agentC.Get(url); err == nil {
		t.Fatal("a certificate revoked before SIGHUP was accepted after it")
	}
	mustStatus(t, own, "GET", url, "", 200)

	stranger, err := pki.NewCA("stranger")
	if err != nil {
		t.Fatal(err)
	}
	writeCRLFile(t, stranger, crl)
	from = log.mark()
	hangup(t)
	if line := log.await(t, from, "SIGHUP: certificates not reloaded"); !strings.Contains(line, "not signed by a CA") {
		t.Errorf("the error does not say what is wrong: %s", line)
	}
	if _, err := agentC.Get(url); err == nil {
		t.Fatal("a CRL that does not verify replaced the one in use")
	}
}

func hangup(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

func writeCRLFile(t *testing.T, ca *pki.CA, path string, revoked ...*x509.Certificate) {
	t.Helper()
	data, err := ca.CRL(revoked...)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pairHTTPClient presents pair (nil: the bundle's client certificate),
// with a new handshake per request.
func pairHTTPClient(t *testing.T, b *pki.Bundle, pair *pki.Pair) *http.Client {
	t.Helper()
	tc, err := b.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	if pair != nil {
		cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func TestCRLKeyErrors(t *testing.T) {
	for name, tc := range map[string]struct{ conf, want string }{
		"crl without client auth": {`analytics.data-directory: /tmp/x
webserver: { ssl-port: 0, ssl-cert: c, ssl-key: k, client-auth: none, ssl-crl-path: crl.pem }`, "webserver.ssl-crl-path: has no use"},
		"check interval": {`analytics: { data-directory: /tmp/x, certificate-check-interval: -5s }
webserver: { ssl-port: 0, ssl-cert: c, ssl-key: k, ssl-ca-cert: ca }`, "analytics.certificate-check-interval: -5s is not a positive duration"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeTemp(t, tc.conf)
			if _, err := loadConfig(path, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
