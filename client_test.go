package analytics_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/wire"
)

// The seed's two examples, as a Go program writes them.
var (
	seedSnapshot = analytics.Snapshot{Fields: analytics.Fields{
		"puppetserver.metric1": "value",
		"puppetserver.metric2": 1337,
		"puppetserver.metric3": []string{"123", "456"},
		"puppetserver.metric4": map[string]string{"something": "extra"},
	}}
	seedEvent = analytics.Event{Name: "puppetserver.some-event", Metadata: analytics.Fields{
		"property1": "value",
		"property2": 1337,
		"property3": []string{"123", "456"},
		"property4": map[string]string{"some": "value"},
	}}
)

const (
	seedSnapshotJSON = `{"fields":{"puppetserver.metric1":"value","puppetserver.metric2":1337,"puppetserver.metric3":["123","456"],"puppetserver.metric4":{"something":"extra"}}}`
	seedEventJSON    = `{"event":"puppetserver.some-event","metadata":{"property1":"value","property2":1337,"property3":["123","456"],"property4":{"some":"value"}}}`
)

func newClient(t *testing.T, cfg analytics.Config) *analytics.Client {
	t.Helper()
	c, err := analytics.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSeedExamplesOnTheWire(t *testing.T) {
	s := &scripted{status: 200, body: `{"accepted":{},"rejected":{}}`}
	p := newPeer(t, s)
	c := newClient(t, p.config())
	ctx := context.Background()

	if _, err := c.StoreSnapshot(ctx, seedSnapshot); err != nil {
		t.Fatalf("StoreSnapshot: %v", err)
	}
	got := s.lastPost(t)
	if got.path != "/analytics/commands/snapshot" || string(got.body) != seedSnapshotJSON {
		t.Errorf("snapshot: got %s %s\nwant %s", got.path, got.body, seedSnapshotJSON)
	}
	if got.contentType != "application/json" {
		t.Errorf("Content-Type = %q", got.contentType)
	}

	s.body = `{"event":"puppetserver.some-event","timestamp":"2026-11-29T18:56:39.790Z"}`
	if _, err := c.StoreEvent(ctx, seedEvent); err != nil {
		t.Fatalf("StoreEvent: %v", err)
	}
	got = s.lastPost(t)
	if got.path != "/analytics/commands/event" || string(got.body) != seedEventJSON {
		t.Errorf("event: got %s %s\nwant %s", got.path, got.body, seedEventJSON)
	}
}

func TestEventWithoutMetadataOmitsTheKey(t *testing.T) {
	s := &scripted{status: 200, body: `{"event":"a.b","timestamp":"2026-11-29T18:56:39.790Z"}`}
	c := newClient(t, newPeer(t, s).config())
	if _, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a.b"}); err != nil {
		t.Fatal(err)
	}
	if got := string(s.lastPost(t).body); got != `{"event":"a.b"}` {
		t.Errorf("body = %s", got)
	}
}

// Every response row of PROTOCOL.md, parsed into the right result or error.
func TestResponseRows(t *testing.T) {
	ts := time.Date(2026, 11, 29, 18, 56, 39, 790e6, time.UTC)
	cases := []struct {
		name     string
		snapshot bool
		status   int
		body     string
		check    func(t *testing.T, res any, err error)
	}{
		{"event accepted", false, 200, `{"event":"a.b.c","metadata":{"k":"v","n":5},"timestamp":"2026-11-29T18:56:39.790Z"}`,
			func(t *testing.T, res any, err error) {
				r := mustOK[*analytics.EventResult](t, res, err)
				if r.Event != "a.b.c" || !r.Timestamp.Equal(ts) || r.Metadata["k"] != "v" || r.Metadata["n"] != json.Number("5") {
					t.Errorf("result = %+v", r)
				}
				if len(r.Raw) == 0 {
					t.Error("raw body missing")
				}
			}},
		{"snapshot all accepted", true, 200, `{"accepted":{"a.b":{"value":1,"timestamp":"2026-11-29T18:56:39.790Z"}},"rejected":{}}`,
			func(t *testing.T, res any, err error) {
				r := mustOK[*analytics.SnapshotResult](t, res, err)
				if r.StatusCode != 200 || len(r.Rejected) != 0 || r.Accepted["a.b"].Value != json.Number("1") || !r.Accepted["a.b"].Timestamp.Equal(ts) {
					t.Errorf("result = %+v", r)
				}
			}},
		{"snapshot partly rejected", true, 206, `{"accepted":{"a.b":{"value":"x","timestamp":"2026-11-29T18:56:39.790Z"}},"rejected":{"other":"Not an expected field","there.n":"Expected a value of type number"}}`,
			func(t *testing.T, res any, err error) {
				r := mustOK[*analytics.SnapshotResult](t, res, err)
				want := map[string]string{"other": "Not an expected field", "there.n": "Expected a value of type number"}
				if r.StatusCode != 206 || !reflect.DeepEqual(r.Rejected, want) || r.Accepted["a.b"].Value != "x" {
					t.Errorf("result = %+v", r)
				}
			}},
		{"event not whitelisted", false, 422, `{"rejected":{"not.listed":"Not an expected event"}}`,
			func(t *testing.T, res any, err error) {
				var re *analytics.RejectedError
				if !errors.As(err, &re) || re.Rejected["not.listed"] != "Not an expected event" {
					t.Fatalf("err = %v, want *RejectedError", err)
				}
			}},
		{"event wrong datatype", false, 422, `{"rejected":{"there.a":"Expected a value of type string"}}`,
			func(t *testing.T, res any, err error) {
				var re *analytics.RejectedError
				if !errors.As(err, &re) || re.Rejected["there.a"] != "Expected a value of type string" {
					t.Fatalf("err = %v, want *RejectedError", err)
				}
				if !strings.Contains(err.Error(), "there.a: Expected a value of type string") {
					t.Errorf("message %q does not carry the reason", err)
				}
			}},
		{"body not JSON", false, 400, `{"kind":"invalid-data","msg":"Failed to parse body as JSON: unexpected end"}`,
			wantResponseError(400, wire.ErrorInvalidData, "Failed to parse body as JSON: unexpected end")},
		{"unknown key", true, 422, `{"kind":"schema-violation","msg":"The objects that were submitted did not conform to the schema. The problem is: ([\"extra\" disallowed-key])","details":{}}`,
			wantResponseError(422, wire.ErrorSchemaViolation, `The objects that were submitted did not conform to the schema. The problem is: (["extra" disallowed-key])`)},
		{"internal error", false, 500, `{"kind":"application-error","msg":"An uncaught server error was thrown. Check the log for details."}`,
			wantResponseError(500, wire.ErrorApplication, "An uncaught server error was thrown. Check the log for details.")},
		{"plain text error", true, 503, `busy`,
			func(t *testing.T, res any, err error) {
				var re *analytics.ResponseError
				if !errors.As(err, &re) || re.StatusCode != 503 || string(re.Body) != "busy" || !strings.Contains(err.Error(), "busy") {
					t.Fatalf("err = %v", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{status: tc.status, body: tc.body}
			c := newClient(t, newPeer(t, s).config())
			var res any
			var err error
			if tc.snapshot {
				res, err = c.StoreSnapshot(context.Background(), analytics.Snapshot{Fields: analytics.Fields{"a.b": 1}})
			} else {
				res, err = c.StoreEvent(context.Background(), analytics.Event{Name: "a.b.c"})
			}
			tc.check(t, res, err)
		})
	}
}

func TestUnknownPathIs404Error(t *testing.T) {
	// A 404 triggers one rediscovery; a second 404 is the caller's answer.
	s := &scripted{status: 404, body: "Not Found"}
	c := newClient(t, newPeer(t, s).config())
	_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a"})
	var re *analytics.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 404 {
		t.Fatalf("err = %v", err)
	}
	if gets, posts := s.counts(); gets != 2 || posts != 2 {
		t.Errorf("gets=%d posts=%d, want 2 and 2 (one rediscovery)", gets, posts)
	}
}

func mustOK[T any](t *testing.T, res any, err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	r, ok := res.(T)
	if !ok {
		t.Fatalf("result is %T", res)
	}
	return r
}

func wantResponseError(status int, kind wire.ErrorKind, msg string) func(*testing.T, any, error) {
	return func(t *testing.T, res any, err error) {
		t.Helper()
		var re *analytics.ResponseError
		if !errors.As(err, &re) {
			t.Fatalf("err = %v, want *ResponseError", err)
		}
		if re.StatusCode != status || re.Kind != kind || re.Msg != msg || len(re.Body) == 0 {
			t.Errorf("got %+v", re)
		}
		if errors.Is(err, analytics.ErrUnreachable) {
			t.Error("a service answer is not ErrUnreachable")
		}
	}
}

func TestUnreachableLogsOncePerOutage(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now: connection refused

	var logs logBuffer
	c := newClient(t, analytics.Config{URL: "http://" + addr + "/analytics", Logger: logs.logger()})
	for i := 0; i < 5; i++ {
		_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a.b"})
		if !errors.Is(err, analytics.ErrUnreachable) {
			t.Fatalf("call %d: err = %v, want ErrUnreachable", i, err)
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("cause not reachable with errors.As: %v", err)
		}
	}
	if n := strings.Count(logs.String(), "Cannot locate analytics service; not reporting"); n != 1 {
		t.Errorf("logged %d times, want once:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "level=INFO") {
		t.Errorf("not logged at INFO:\n%s", logs.String())
	}
}

func TestWrongCAFailsWithVerificationError(t *testing.T) {
	p := newPeer(t, &scripted{status: 200})
	other, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.config()
	cfg.SSL.CAFile = other.CACert
	c := newClient(t, cfg)
	_, err = c.StoreEvent(context.Background(), analytics.Event{Name: "a"})
	if !errors.Is(err, analytics.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	var cve *tls.CertificateVerificationError
	if !errors.As(err, &cve) {
		t.Fatalf("err = %v, want a *tls.CertificateVerificationError in the chain", err)
	}
}

func TestMissingClientCertificateFails(t *testing.T) {
	p := newPeer(t, &scripted{status: 200})
	cfg := p.config()
	cfg.SSL.CertFile, cfg.SSL.KeyFile = "", ""
	c := newClient(t, cfg)
	_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a"})
	if !errors.Is(err, analytics.ErrUnreachable) {
		t.Fatalf("err = %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("error does not say a certificate is the problem: %v", err)
	}
}

func TestEntrypointFetchedOnceFor100Calls(t *testing.T) {
	s := &scripted{status: 200, body: `{"event":"a","timestamp":"2026-11-29T18:56:39.790Z"}`}
	cfg := newPeer(t, s).config()
	// 100 concurrent mutual-TLS handshakes under -race on a loaded machine
	// can take longer than the default timeout; speed is not the point here.
	cfg.Timeout = time.Minute
	c := newClient(t, cfg)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if gets, posts := s.counts(); gets != 1 || posts != 100 {
		t.Errorf("gets=%d posts=%d, want 1 and 100", gets, posts)
	}
}

// The service moves to another port; the entrypoint (a stable front, as a
// proxy or DNS name would be) starts advertising the new address and the
// client follows it after a refused connection.
func TestRediscoveryAfterServiceMoves(t *testing.T) {
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ok := `{"event":"a","timestamp":"2026-11-29T18:56:39.790Z"}`
	first := newPeerWith(t, b, &scripted{status: 200, body: ok})
	second := &scripted{status: 200, body: ok}
	secondPeer := newPeerWith(t, b, second)

	var mu sync.Mutex
	current := first.srv.URL
	front := &scripted{status: 404, advertise: func(*http.Request) string {
		mu.Lock()
		defer mu.Unlock()
		return current
	}}
	c := newClient(t, newPeerWith(t, b, front).config())
	ctx := context.Background()
	if _, err := c.StoreEvent(ctx, analytics.Event{Name: "a"}); err != nil {
		t.Fatal(err)
	}

	first.srv.Close()
	mu.Lock()
	current = secondPeer.srv.URL
	mu.Unlock()

	if _, err := c.StoreEvent(ctx, analytics.Event{Name: "a"}); err != nil {
		t.Fatalf("after the move: %v", err)
	}
	if gets, _ := front.counts(); gets != 2 {
		t.Errorf("entrypoint fetched %d times, want 2", gets)
	}
	if _, posts := second.counts(); posts != 1 {
		t.Errorf("new address got %d commands, want 1", posts)
	}
}

func TestEntrypoint(t *testing.T) {
	s := &scripted{status: 200}
	p := newPeer(t, s)
	c := newClient(t, p.config())
	ep, err := c.Entrypoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	evURL, ok := ep.CommandURL("event")
	if ep.ServerVersion() != "1.2.3" || evURL != p.srv.URL+"/analytics/commands/event" || !ok ||
		!slices.Equal(ep.Commands(), []string{"event", "snapshot"}) {
		t.Errorf("entrypoint: version %q, event %q, commands %v", ep.ServerVersion(), evURL, ep.Commands())
	}
	if _, ok := ep.CommandURL("nope"); ok {
		t.Error("CommandURL of a command not advertised")
	}
	// Its JSON is the document as the service sent it, params and all.
	doc, err := json.Marshal(ep)
	if err != nil || !strings.Contains(string(doc), `"metadata":{"datatype":"object","optional":"true"}`) {
		t.Errorf("JSON %s %v", doc, err)
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	s := &scripted{status: 200, body: `{"event":"a","timestamp":"2026-11-29T18:56:39.790Z"}`}
	c := newClient(t, newPeer(t, s).config())
	ctx := analytics.WithIdempotencyKey(context.Background(), "k-123")
	if _, err := c.StoreEvent(ctx, analytics.Event{Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if got := s.lastPost(t).idemKey; got != "k-123" {
		t.Errorf("Idempotency-Key = %q", got)
	}
}

func TestValidationSendsNothing(t *testing.T) {
	s := &scripted{status: 200}
	c := newClient(t, newPeer(t, s).config())
	_, err := c.StoreSnapshot(context.Background(), analytics.Snapshot{Fields: analytics.Fields{"a": map[string]any{"b": map[string]int{"c": 1}}}})
	var ve *analytics.ValidationError
	if !errors.As(err, &ve) || ve.Path != "fields.a.b" {
		t.Fatalf("err = %v", err)
	}
	if gets, posts := s.counts(); gets+posts != 0 {
		t.Errorf("traffic sent: gets=%d posts=%d", gets, posts)
	}
}

func TestClosedClient(t *testing.T) {
	c := newClient(t, newPeer(t, &scripted{status: 200}).config())
	c.Close()
	if _, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a"}); !errors.Is(err, analytics.ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestTimeoutIsUnreachable(t *testing.T) {
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release })
	p := newPeer(t, h)
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	cfg := p.config()
	cfg.Timeout = 50 * time.Millisecond
	c := newClient(t, cfg)
	_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a"})
	if !errors.Is(err, analytics.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

// The seed examples end to end against the real service: what it stores is
// what was sent.
func TestSeedExamplesAgainstService(t *testing.T) {
	srv := analyticstest.NewServer(t)
	c := newClient(t, srv.Config())
	ctx := context.Background()
	snap, err := c.StoreSnapshot(ctx, seedSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	if snap.StatusCode != 200 || len(snap.Accepted) != 4 || len(snap.Rejected) != 0 {
		t.Errorf("snapshot answer = %+v", snap)
	}
	ev, err := c.StoreEvent(ctx, seedEvent)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event != seedEvent.Name || time.Since(ev.Timestamp) > time.Minute {
		t.Errorf("event answer = %+v", ev)
	}

	stored := srv.Snapshots()
	if len(stored) != 1 {
		t.Fatalf("%d snapshots stored", len(stored))
	}
	got := map[string]any{}
	for k, v := range stored[0] {
		got[k] = v.Value
	}
	want := map[string]any{
		"puppetserver.metric1": "value",
		"puppetserver.metric2": json.Number("1337"),
		"puppetserver.metric3": []any{"123", "456"},
		"puppetserver.metric4": map[string]any{"something": "extra"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored snapshot = %#v", got)
	}
	events := srv.Events()
	if len(events) != 1 || events[0].Event != seedEvent.Name ||
		!reflect.DeepEqual(map[string]any(events[0].Metadata), map[string]any{
			"property1": "value", "property2": json.Number("1337"),
			"property3": []any{"123", "456"}, "property4": map[string]any{"some": "value"}}) {
		t.Errorf("stored events = %+v", events)
	}
}
