package server_test

import (
	"bytes"
	"crypto/tls"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// TestHandshakeRefusalsLoggedOnce: a client whose certificate another CA
// signed is refused at every handshake, and the log has one line for all
// of them, not one per handshake.
func TestHandshakeRefusalsLoggedOnce(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	logged := make(chan struct{}, 100)
	w := signalWriter{lockedWriter{&mu, &logs}, "TLS handshake error", logged}
	ts := startServer(t, func(c *server.Config) { c.Logger = slog.New(slog.NewTextHandler(w, nil)) })
	other, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tc, err := other.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.InsecureSkipVerify = true // the client trusts anything; the server must not
	addr := strings.TrimPrefix(strings.TrimSuffix(ts.url, "/analytics"), "https://")
	const tries = 20
	for range tries {
		conn, err := tls.Dial("tcp", addr, tc)
		if err == nil {
			// TLS 1.3: the client learns of the refusal on its first read.
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil {
			t.Fatal("a certificate from another CA was accepted")
		}
	}
	select {
	case <-logged:
	case <-time.After(10 * time.Second):
		t.Fatal("no log line for the refused handshakes")
	}
	if got := do(t, ts.client, "GET", ts.url, ""); got.status != 200 {
		t.Fatalf("good client: %d", got.status)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "TLS handshake error"); n != 1 {
		t.Errorf("%d log lines for %d refused handshakes, want 1:\n%s", n, tries, logs.String())
	}
	if !strings.Contains(logs.String(), "peer=127.0.0.1:") {
		t.Errorf("the line does not name the peer: %s", logs.String())
	}
}

// signalWriter passes writes on and signals each that contains match.
type signalWriter struct {
	w     lockedWriter
	match string
	ch    chan struct{}
}

func (s signalWriter) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if bytes.Contains(p, []byte(s.match)) {
		select {
		case s.ch <- struct{}{}:
		default:
		}
	}
	return n, err
}
