package analytics_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/pki"
)

// peer is a real HTTPS server on loopback that requires and verifies client
// certificates from a throwaway CA, in front of a handler the test chooses.
type peer struct {
	srv    *httptest.Server
	bundle *pki.Bundle
}

func newPeer(t testing.TB, h http.Handler) *peer {
	t.Helper()
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return newPeerWith(t, b, h)
}

func newPeerWith(t testing.TB, b *pki.Bundle, h http.Handler) *peer {
	t.Helper()
	tc, err := b.ServerTLSConfig(tls.RequireAndVerifyClientCert)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = tc
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &peer{srv: srv, bundle: b}
}

// config returns a client configuration for the peer's entrypoint.
func (p *peer) config() analytics.Config {
	return analytics.Config{
		URL: p.srv.URL + "/analytics",
		SSL: &analytics.SSLOpts{CertFile: p.bundle.ClientCert, KeyFile: p.bundle.ClientKey, CAFile: p.bundle.CACert},
	}
}

// entrypointJSON is the entrypoint as the JVM service shapes it, with ids on
// base.
func entrypointJSON(base string) string {
	return `{"commands":{"event":{"name":"event","rel":"https://api.puppetlabs.com/analytics/v1/commands/event",` +
		`"id":"` + base + `/analytics/commands/event","params":{"namespace":{"datatype":"string"},"event":{"datatype":"string"},` +
		`"metadata":{"datatype":"object","optional":"true"}}},"snapshot":{"name":"snapshot",` +
		`"rel":"https://api.puppetlabs.com/analytics/v1/commands/snapshot","id":"` + base + `/analytics/commands/snapshot",` +
		`"params":{"namespace":{"datatype":"string"},"fields":{"datatype":"object"}}}},"version":{"server":"1.2.3"}}`
}

// scripted serves the entrypoint (advertising its own address) and answers
// commands with a fixed status and body, recording what it received.
type scripted struct {
	mu        sync.Mutex
	status    int
	body      string
	gets      int
	posts     []recorded
	advertise func(r *http.Request) string
}

type recorded struct {
	path, contentType, idemKey string
	body                       []byte
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/analytics":
		s.gets++
		base := "https://" + r.Host
		if s.advertise != nil {
			base = s.advertise(r)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, entrypointJSON(base))
	case r.Method == http.MethodPost && (r.URL.Path == "/analytics/commands/event" || r.URL.Path == "/analytics/commands/snapshot"):
		body, _ := io.ReadAll(r.Body)
		s.posts = append(s.posts, recorded{r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"), body})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(s.status)
		io.WriteString(w, s.body)
	default:
		http.NotFound(w, r)
	}
}

func (s *scripted) counts() (gets, posts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets, len(s.posts)
}

func (s *scripted) lastPost(t *testing.T) recorded {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.posts) == 0 {
		t.Fatal("the service received no command")
	}
	return s.posts[len(s.posts)-1]
}

// logBuffer is a goroutine-safe log sink for asserting on log lines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed and replaced on each write
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.written != nil {
		close(l.written)
		l.written = nil
	}
	return l.buf.Write(p)
}

// waitFor waits, up to ten seconds, until a line holding text is logged.
func (l *logBuffer) waitFor(t *testing.T, text string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		found := strings.Contains(l.buf.String(), text)
		if l.written == nil {
			l.written = make(chan struct{})
		}
		written := l.written
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-written:
		case <-deadline:
			t.Fatalf("no log line with %q after 10s; the log:\n%s", text, l.String())
		}
	}
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// assertConfigError checks that err is a *ConfigError whose message
// mentions each of want.
func assertConfigError(t *testing.T, err error, want ...string) {
	t.Helper()
	var ce *analytics.ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *ConfigError", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}
