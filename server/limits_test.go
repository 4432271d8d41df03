package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/wire"
)

// readWatch is a Middleware that sends on got once for each request whose
// handler has read at least n bytes of its body: the signal that the
// service holds what a slow client has sent so far.
func readWatch(n int, got chan<- struct{}) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = &watchedBody{ReadCloser: r.Body, want: n, got: got}
			h.ServeHTTP(w, r)
		})
	}
}

type watchedBody struct {
	io.ReadCloser
	want, read int
	got        chan<- struct{}
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.read < b.want && b.read+n >= b.want {
		b.got <- struct{}{}
	}
	b.read += n
	return n, err
}

// waitN receives n signals from got, failing the test after 20 s.
func waitN(t testing.TB, got <-chan struct{}, n int, what string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for i := range n {
		select {
		case <-got:
		case <-deadline:
			t.Fatalf("%s: %d of %d after 20 s", what, i, n)
		}
	}
}

// partialBody opens a connection to the service's TLS listener with the
// client certificate and sends a command that declares declared bytes of
// body but carries only sent; the rest may follow on the returned
// connection.
func partialBody(t testing.TB, ts *testServer, declared int, sent string) net.Conn {
	t.Helper()
	return partialBodyTo(t, ts, "/commands/event", declared, sent)
}

// partialBodyTo is partialBody to another path below the prefix.
func partialBodyTo(t testing.TB, ts *testServer, path string, declared int, sent string) net.Conn {
	t.Helper()
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, err := tls.Dial("tcp", ts.srv.HTTPSAddr().String(), tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	head := fmt.Sprintf("POST %s%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		ts.srv.Prefix(), path, ts.srv.HTTPSAddr(), declared)
	if _, err := io.WriteString(c, head+sent); err != nil {
		t.Fatal(err)
	}
	return c
}

// readReply reads one response from c, within 20 s.
func readReply(t testing.TB, c net.Conn) reply {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: string(data)}
}

// eventOfSize is an event body of exactly n bytes (n >= 40).
func eventOfSize(n int) string {
	const head, tail = `{"event":"big","metadata":{"p":"`, `"}}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// TestDeclaredLengthIsNotTrusted: bodies that declare the limit but send a
// few bytes hold a few bytes' share of the in-flight budget, not what they
// declare, so that others are still served.
func TestDeclaredLengthIsNotTrusted(t *testing.T) {
	const limit = 64 << 10
	got := make(chan struct{}, 8)
	ts := startServer(t, func(c *server.Config) {
		c.MaxBodyBytes, c.MaxInflightBytes = limit, limit
		c.Middleware = readWatch(33, got)
	})
	for range 8 {
		partialBody(t, ts, limit, `{"event":"slow","metadata":{"p":"`) // 33 bytes
	}
	waitN(t, got, 8, "bodies begun")
	if r := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"normal"}`); r.status != 200 {
		t.Fatalf("a normal command while 8 bodies declare %d bytes each: %d %s", limit, r.status, r.body)
	}
}

// TestInflightLimit: once the bodies being read fill the budget, a new
// command gets 503 with Retry-After at once; the budget comes back when
// the slow body completes.
func TestInflightLimit(t *testing.T) {
	const limit = 64 << 10
	got := make(chan struct{}, 2)
	var logs logBuffer
	ts := startServer(t, func(c *server.Config) {
		c.MaxBodyBytes, c.MaxInflightBytes = limit, limit
		c.Middleware = readWatch(40<<10, got)
		c.Logger = logs.logger()
	})
	body := eventOfSize(limit)
	slow := partialBody(t, ts, limit, body[:40<<10]) // its buffer has grown to 64 KiB
	waitN(t, got, 1, "40 KiB read")

	r := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"normal"}`)
	if r.status != 503 || r.ctype != "application/json; charset=utf-8" {
		t.Fatalf("command past the in-flight limit: %d %s %s", r.status, r.ctype, r.body)
	}
	var e wire.Error
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Kind != wire.ErrorUnavailable || e.Msg == "" {
		t.Errorf("503 body %s is not the JSON error shape with kind %s", r.body, wire.ErrorUnavailable)
	}
	resp, err := ts.client.Post(ts.url+"/commands/event", "application/json", strings.NewReader(`{"event":"n"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ra := resp.Header.Get("Retry-After"); ra != "1" {
		t.Errorf("Retry-After = %q, want 1", ra)
	}
	if n := logs.count("command refused: request bodies in flight"); n != 1 {
		t.Errorf("%d log lines for 2 refused commands, want 1:\n%s", n, logs.buf.String())
	}

	if _, err := io.WriteString(slow, body[40<<10:]); err != nil {
		t.Fatal(err)
	}
	if r := readReply(t, slow); r.status != 200 {
		t.Fatalf("the slow body, completed: %d %s", r.status, r.body)
	}
	// The slow command gives its share back after its answer is sent, so
	// the first tries may still find the budget full.
	deadline := time.Now().Add(10 * time.Second)
	for r = do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"later"}`); r.status == 503; {
		if time.Now().After(deadline) {
			t.Fatal("the budget never came back")
		}
		runtimeGosched()
		r = do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"later"}`)
	}
	if r.status != 200 {
		t.Fatalf("a command after the slow one: %d %s", r.status, r.body)
	}
}

// TestBodyTimeout: a body that trickles is answered 408 after BodyTimeout,
// long before ReadTimeout (a minute).
func TestBodyTimeout(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.BodyTimeout = 100 * time.Millisecond })
	c := partialBody(t, ts, 1000, `{"event":"tr`)
	r := readReply(t, c) // within 20 s, a third of ReadTimeout
	if r.status != 408 || !strings.Contains(r.body, `"kind":"request-timeout"`) {
		t.Fatalf("trickled body: %d %s", r.status, r.body)
	}
	// net/http reads what remains of a small body no handler read before
	// it answers (here a refusal); the deadline bounds that too.
	c = partialBodyTo(t, ts, "/nope", 1000, `{"event":"tr`)
	if r := readReply(t, c); r.status != 403 {
		t.Fatalf("trickled body to a refused path: %d %s", r.status, r.body)
	}
}

// TestBodyTimeoutHTTP2: the body deadline holds for an HTTP/2 stream too.
func TestBodyTimeoutHTTP2(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.BodyTimeout = 100 * time.Millisecond })
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = io.WriteString(pw, `{"event":"tr`) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a third of ReadTimeout
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.url+"/commands/event", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 1000
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 408 {
		t.Fatalf("trickled HTTP/%d body: %d", resp.ProtoMajor, resp.StatusCode)
	}
}

func TestLimitConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		edit  func(*server.Config)
		field string
	}{
		{func(c *server.Config) { c.MaxInflightBytes = -1 }, "MaxInflightBytes"},
		{func(c *server.Config) { c.MaxConnections = -1 }, "MaxConnections"},
		{func(c *server.Config) { c.BodyTimeout = -time.Second }, "BodyTimeout"},
		{func(c *server.Config) { c.MaxBodyBytes, c.MaxInflightBytes = 2<<20, 1<<20 }, "MaxInflightBytes"},
	} {
		cfg := server.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}
		tc.edit(&cfg)
		_, err := server.New(cfg)
		var ce *server.ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: error %v does not name the field", tc.field, err)
		}
	}
}

// TestMaxHeaderBytes: a header over Jetty's 8 KiB default gets 431, so
// that a connection holds at most that much of one.
func TestMaxHeaderBytes(t *testing.T) {
	ts := startServer(t, nil)
	if r := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"a"}`, "X-Pad", strings.Repeat("x", 6<<10)); r.status != 200 {
		t.Fatalf("6 KiB of header: %d %s", r.status, r.body)
	}
	r, err := tryDo(ts.newClient(t, true, true), "POST", ts.url+"/commands/event", `{"event":"a"}`, "X-Pad", strings.Repeat("x", 16<<10))
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("16 KiB of header: %d %s", r.status, r.body)
	}
}
