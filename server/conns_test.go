package server_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
)

// logBuffer collects the service's log lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// count is the number of lines containing s.
func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestMaxConnectionsClosesOldestIdle: at the bound, a new connection
// closes the oldest connection without a request in progress, so silent
// clients cannot lock others out.
func TestMaxConnectionsClosesOldestIdle(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxConnections = 4 })
	addr := ts.srv.HTTPSAddr().String()
	silent := make([]net.Conn, 4)
	for i := range silent {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		silent[i] = c
	}
	if r := do(t, ts.newClient(t, true, true), "GET", ts.url, ""); r.status != 200 {
		t.Fatalf("GET with 4 silent connections open at MaxConnections 4: %d", r.status)
	}
	_ = silent[0].SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Errorf("the oldest silent connection: read %v, want EOF (closed by the service)", err)
	}
}

// TestMaxConnectionsRefusesWhenAllBusy: when every connection has a
// request in progress, a new one is closed at once, and the refusals are
// logged once per interval, not once each.
func TestMaxConnectionsRefusesWhenAllBusy(t *testing.T) {
	var logs logBuffer
	got := make(chan struct{}, 2)
	ts := startServer(t, func(c *server.Config) {
		c.MaxConnections = 2
		c.Logger = logs.logger()
		c.Middleware = readWatch(5, got)
	})
	partialBody(t, ts, 100, `{"event":`)
	partialBody(t, ts, 100, `{"event":`)
	waitN(t, got, 2, "bodies begun")
	c := ts.newClient(t, true, true)
	for range 5 {
		if r, err := tryDo(c, "GET", ts.url, ""); err == nil {
			t.Fatalf("a third connection at MaxConnections 2 was served: %d", r.status)
		}
	}
	if n := logs.count("connection refused"); n != 1 {
		t.Errorf("%d log lines for 5 refused connections, want 1:\n%s", n, logs.buf.String())
	}
}

// TestHTTP2MaxStreams: the service advertises its bound on concurrent
// streams, and the smallest frame size, in its first SETTINGS frame.
func TestHTTP2MaxStreams(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxStreams = 7 })
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.NextProtos = []string{"h2"}
	c, err := tls.Dial("tcp", ts.srv.HTTPSAddr().String(), tc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("negotiated %q, want h2", p)
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	// The client preface and an empty SETTINGS frame.
	if _, err := io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	var head [9]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		t.Fatal(err)
	}
	if head[3] != 0x4 {
		t.Fatalf("first frame type %d, want SETTINGS", head[3])
	}
	payload := make([]byte, int(head[0])<<16|int(head[1])<<8|int(head[2]))
	if _, err := io.ReadFull(c, payload); err != nil {
		t.Fatal(err)
	}
	settings := map[uint16]uint32{}
	for p := payload; len(p) >= 6; p = p[6:] {
		settings[binary.BigEndian.Uint16(p)] = binary.BigEndian.Uint32(p[2:])
	}
	if v, ok := settings[0x3]; !ok || v != 7 { // SETTINGS_MAX_CONCURRENT_STREAMS
		t.Errorf("MAX_CONCURRENT_STREAMS %d (sent: %v), want 7", v, ok)
	}
	// SETTINGS_MAX_FRAME_SIZE: absent means the protocol's 16 KiB.
	if v, ok := settings[0x5]; ok && v != 16<<10 {
		t.Errorf("MAX_FRAME_SIZE %d, want 16384: a connection keeps a buffer of the largest frame", v)
	}
}
