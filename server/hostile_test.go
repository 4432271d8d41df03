package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// issueSubject signs a client certificate for subject with the test CA.
func issueSubject(t testing.TB, ts *testServer, subject pkix.Name) tls.Certificate {
	t.Helper()
	ca, err := ts.pki.CA()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      subject,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// clientAs is an HTTPS client presenting cert, a new connection per
// request.
func (ts *testServer) clientAs(t testing.TB, cert tls.Certificate) *http.Client {
	t.Helper()
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = []tls.Certificate{cert}
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// cn names a client by one CN.
func cn(name string) pkix.Name { return pkix.Name{CommonName: name} }

// snapshotOf is a snapshot body of n tiny fields with short names.
func snapshotOf(n int) string {
	var b strings.Builder
	b.WriteString(`{"fields":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.FormatInt(int64(i), 36) + `":1`)
	}
	b.WriteString(`}}`)
	return b.String()
}

// TestTooManyFieldsRefusedBeforeDecoding: 120,000 tiny fields in 1 MiB,
// and 1,000,000 in one 16 MiB body (issue 17.1), are refused with 413
// naming the limit and its setting, before they are decoded; a snapshot
// at the limit is stored.
func TestTooManyFieldsRefusedBeforeDecoding(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxBodyBytes, c.MaxInflightBytes = 16<<20, 32<<20 })
	for _, n := range []int{120_000, 1_000_000} {
		got := do(t, ts.client, "POST", ts.url+"/commands/snapshot", snapshotOf(n))
		if got.status != 413 || !strings.Contains(got.body, `"kind":"too-many-fields"`) ||
			!strings.Contains(got.body, "analytics.max-fields") || !strings.Contains(got.body, strconv.Itoa(server.DefaultMaxFields)) {
			t.Errorf("%d fields: %d %s, want 413 too-many-fields naming %d and analytics.max-fields", n, got.status, got.body, server.DefaultMaxFields)
		}
	}
	// {"fields":{...}} holds the fields, the object of fields and the body.
	if got := do(t, ts.client, "POST", ts.url+"/commands/snapshot", snapshotOf(server.DefaultMaxFields-2)); got.status != 200 {
		t.Errorf("a snapshot at the limit: %d %s", got.status, got.body[:min(len(got.body), 200)])
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/snapshot", snapshotOf(server.DefaultMaxFields-1)); got.status != 413 {
		t.Errorf("a snapshot one value past the limit: %d", got.status)
	}
}

// TestMaxFieldsCountsBatchItems: the limit counts every value of a batch,
// its envelope and payloads, whatever their depth.
func TestMaxFieldsCountsBatchItems(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxFields = 50 })
	// The body, the commands array, and per item its object, command,
	// payload and the payload's event: 2 + 4n values.
	batch := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"command":"event","payload":{"event":"e` + strconv.Itoa(i) + `"}}`
		}
		return `{"commands":[` + strings.Join(items, ",") + `]}`
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(12)); got.status != 200 {
		t.Errorf("a batch of 50 values: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(13)); got.status != 413 || !strings.Contains(got.body, "54 JSON values") {
		t.Errorf("a batch of 54 values: %d %s, want 413 counting 54", got.status, got.body)
	}
}

// TestDecodedCostTakenFromBudget: a command whose body fits the in-flight
// budget but whose decoded cost does not is refused with 503 while another
// client's body holds part of the budget (issue 17.1: the budget counted
// raw bytes, a hundredth of what decoding costs).
func TestDecodedCostTakenFromBudget(t *testing.T) {
	got := make(chan struct{}, 4)
	ts := startServer(t, func(c *server.Config) {
		c.MaxBodyBytes, c.MaxInflightBytes = 256<<10, 1<<20
		c.Middleware = readWatch(70_000, got)
	})
	partialBody(t, ts, 200_000, `{"event":"slow","metadata":{"p":"`+strings.Repeat("x", 70_000))
	waitN(t, got, 1, "the slow body being read")
	other := ts.clientAs(t, issueSubject(t, ts, cn("agent-b.example.com")))
	body := snapshotOf(6000) // about 40 KiB, about 3 MiB decoded
	r := do(t, other, "POST", ts.url+"/commands/snapshot", body)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("a command costing more than the budget left: %d %s, want 503 with Retry-After", r.status, r.body)
	}
}

// TestInflightShareOfOneClient: one client holding a quarter of the
// in-flight budget gets 503 for more, while another client is served.
func TestInflightShareOfOneClient(t *testing.T) {
	got := make(chan struct{}, 8)
	ts := startServer(t, func(c *server.Config) {
		c.MaxBodyBytes, c.MaxInflightBytes = 256<<10, 1<<20
		c.Middleware = readWatch(100_000, got)
	})
	slow := `{"event":"slow","metadata":{"p":"` + strings.Repeat("x", 100_000)
	partialBody(t, ts, 200_000, slow) // 128 KiB of buffer
	partialBody(t, ts, 200_000, slow) // 256 KiB: the client's share
	waitN(t, got, 2, "the slow bodies being read")
	if r := do(t, ts.newClient(t, true, true), "POST", ts.url+"/commands/event", `{"event":"more","metadata":{"p":"`+strings.Repeat("y", 2000)+`"}}`); r.status != 503 ||
		!strings.Contains(r.body, "share") {
		t.Errorf("the client past its share: %d %s, want 503 naming its share", r.status, r.body)
	}
	other := ts.clientAs(t, issueSubject(t, ts, cn("agent-b.example.com")))
	if r := do(t, other, "POST", ts.url+"/commands/event", `{"event":"normal"}`); r.status != 200 {
		t.Errorf("another client: %d %s", r.status, r.body)
	}
}

// TestRefusedBeforeBodyFreesConnection: under want, requests without a
// certificate to an endpoint that needs one are refused at once and their
// connection closed, without their trickled body being read (issue 17.3);
// a normal client is then served at the connection bound.
func TestRefusedBeforeBodyFreesConnection(t *testing.T) {
	const maxConns, attackers = 8, 24
	ts := startServer(t, func(c *server.Config) {
		c.MaxConnections = maxConns
		c.TLS.ClientAuth = server.ClientAuthWant
		c.BodyTimeout = time.Minute
	})
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = nil
	// Under 256 KiB, which net/http would read after the answer.
	head := fmt.Sprintf("POST %s/commands/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"event\":",
		ts.srv.Prefix(), 100_000)
	deadline := time.Now().Add(5 * time.Second)
	for i := range attackers {
		c, err := tls.Dial("tcp", ts.srv.HTTPSAddr().String(), tc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		// The service ends the connection (after a 403, or at once past
		// the unauthenticated share) without waiting for the body.
		_ = c.SetReadDeadline(deadline)
		if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
			t.Fatalf("unauthenticated connection %d still open: %v", i, err)
		}
	}
	if r := do(t, ts.newClient(t, true, true), "POST", ts.url+"/commands/event", `{"event":"normal"}`); r.status != 200 {
		t.Errorf("a normal client after the attack: %d", r.status)
	}
}

// isReset reports whether err is the peer resetting or closing the
// connection, not a timeout.
func isReset(err error) bool {
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// TestConnectionShareOfOneClient: under need, one certificate holding
// every connection with a slow body leaves a quarter of them to the
// others (issue 17.3).
func TestConnectionShareOfOneClient(t *testing.T) {
	const maxConns = 8
	got := make(chan struct{}, maxConns)
	ts := startServer(t, func(c *server.Config) {
		c.MaxConnections = maxConns
		c.Middleware = readWatch(5, got)
	})
	for range maxConns {
		partialBody(t, ts, 100, `{"event":`)
	}
	waitN(t, got, maxConns-maxConns/4, "slow bodies being read")
	other := ts.clientAs(t, issueSubject(t, ts, cn("agent-b.example.com")))
	if r, err := tryDo(other, "POST", ts.url+"/commands/event", `{"event":"normal"}`); err != nil || r.status != 200 {
		t.Errorf("another client while one holds every connection: %v %v", r.status, err)
	}
}

// TestUnauthenticatedConnectionShare: where a rule lets unauthenticated
// clients send commands, they hold an eighth of the connections together
// (one of eight here); an authenticated client is served meanwhile.
func TestUnauthenticatedConnectionShare(t *testing.T) {
	const maxConns = 8
	got := make(chan struct{}, maxConns)
	ts := startServer(t, func(c *server.Config) {
		c.MaxConnections = maxConns
		c.TLS.ClientAuth = server.ClientAuthWant
		c.Middleware = readWatch(5, got)
		c.Authorization = []authz.Rule{{Name: "open", SortOrder: 1, Path: "/", Type: authz.PathPrefix, AllowUnauthenticated: true}}
	})
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = nil
	head := fmt.Sprintf("POST %s/commands/event HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"event\":",
		ts.srv.Prefix())
	closed := 0
	for range maxConns {
		c, err := tls.Dial("tcp", ts.srv.HTTPSAddr().String(), tc)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Read(make([]byte, 1)); isReset(err) {
			closed++ // refused at once; the one admitted is being read
		}
	}
	waitN(t, got, 1, "the admitted slow body")
	if closed != maxConns-1 {
		t.Errorf("%d of %d unauthenticated connections refused, want %d", closed, maxConns, maxConns-1)
	}
	if r := do(t, ts.newClient(t, true, true), "POST", ts.url+"/commands/event", `{"event":"normal"}`); r.status != 200 {
		t.Errorf("an authenticated client: %d", r.status)
	}
}

// TestAmbiguousCertificateRefused: a subject with two CNs is named by no
// one (crypto/x509 would name it by the last, here the operator's) and
// gets 403 with one log line saying why; so does a subject with none
// (issue 17.4).
func TestAmbiguousCertificateRefused(t *testing.T) {
	var logs logBuffer
	ts := startServer(t, func(c *server.Config) { c.Logger = logs.logger() })
	two := pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "agent4.example.com"},
		{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: testOperator},
	}}
	none := pkix.Name{Organization: []string{"no CN"}}
	for name, subject := range map[string]pkix.Name{"two CNs": two, "no CN": none} {
		c := ts.clientAs(t, issueSubject(t, ts, subject))
		for range 3 {
			if r := do(t, c, "GET", ts.url+"/collections/events", ""); r.status != 403 || !strings.Contains(r.body, "names no one client") {
				t.Errorf("%s: %d %s, want 403 ambiguous", name, r.status, r.body)
			}
		}
	}
	if n := logs.count("client certificate is ambiguous"); n != 1 {
		t.Errorf("%d log lines for 6 ambiguous requests, want 1:\n%s", n, logs.buf.String())
	}
}

// TestNamesCompareWithoutUnicodeFolding: a certname with a Kelvin sign
// does not match an allow entry with a k, as Unicode case folding would
// have it; ASCII case still folds (issue 17.4).
func TestNamesCompareWithoutUnicodeFolding(t *testing.T) {
	ts := startServer(t, func(c *server.Config) {
		c.Authorization = server.DefaultRules("", "desk.example.com")
	})
	kelvin := ts.clientAs(t, issueSubject(t, ts, cn("des\u212A.example.com")))
	if r := do(t, kelvin, "GET", ts.url+"/collections/events", ""); r.status != 403 {
		t.Errorf("des\\u212A.example.com against allow desk.example.com: %d, want 403", r.status)
	}
	upper := ts.clientAs(t, issueSubject(t, ts, cn("DESK.example.com")))
	if r := do(t, upper, "GET", ts.url+"/collections/events", ""); r.status != 200 {
		t.Errorf("DESK.example.com against allow desk.example.com: %d, want 200", r.status)
	}
}

// TestStoreShareOfOneClient: one client filling its share of the store
// gets 507 alone; another is still stored (issue 17.5).
func TestStoreShareOfOneClient(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{"version":"1.0.1","newer":false,"product":"puppetserver"}`))
	ts := checkInServer(t, up, func(c *server.Config) { c.MaxClientStoreBytes = 4 << 10 })
	big := `{"event":"fill","metadata":{"p":"` + strings.Repeat("x", 900) + `"}}`
	var last reply
	for range 8 {
		last = do(t, ts.client, "POST", ts.url+"/commands/event", big)
	}
	if last.status != 507 || !strings.Contains(last.body, "analytics.max-client-store-bytes") || last.header.Get("Retry-After") == "" {
		t.Fatalf("the client past its share: %d %s, want 507 naming analytics.max-client-store-bytes", last.status, last.body)
	}
	other := ts.clientAs(t, issueSubject(t, ts, cn("agent-b.example.com")))
	if r := do(t, other, "POST", ts.url+"/commands/event", big); r.status != 200 {
		t.Errorf("another client: %d %s", r.status, r.body)
	}
	// A check-in discards what it uploaded: the client's share is free again.
	if _, err := ts.srv.CheckIn(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := do(t, ts.client, "POST", ts.url+"/commands/event", big); r.status != 200 {
		t.Errorf("the client after a check-in freed its share: %d %s", r.status, r.body)
	}
}

// TestIdempotencyKeysPerClient: a second client reusing the first one's
// key sends an independent key: it neither learns of the first request
// (its answer has its own time and nothing reused) nor blocks the first
// client's real command (issue 17.6).
func TestIdempotencyKeysPerClient(t *testing.T) {
	var now atomic.Int64 // the store's background work reads the clock too
	now.Store(fixedTime.UnixNano())
	ts := startServer(t, func(c *server.Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()).UTC() } })
	b := ts.clientAs(t, issueSubject(t, ts, cn("agent-b.example.com")))
	// B squats A's key with another payload, then A sends its command.
	if r := do(t, b, "POST", ts.url+"/commands/event", `{"event":"squat"}`, "Idempotency-Key", "k1"); r.status != 200 {
		t.Fatalf("B: %d %s", r.status, r.body)
	}
	if r := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"real"}`, "Idempotency-Key", "k1"); r.status != 200 {
		t.Fatalf("A's command after B used its key: %d %s, want 200", r.status, r.body)
	}
	// B repeats A's payload and key later: stored anew, with its own time.
	now.Add(int64(time.Hour))
	r := do(t, b, "POST", ts.url+"/commands/event", `{"event":"real"}`, "Idempotency-Key", "k1")
	if r.status != 422 {
		t.Errorf("B reusing its own key with another payload: %d, want 422", r.status)
	}
	r = do(t, b, "POST", ts.url+"/commands/event", `{"event":"real"}`, "Idempotency-Key", "k2")
	now.Add(int64(time.Hour))
	a := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"real"}`, "Idempotency-Key", "k2")
	if r.status != 200 || a.status != 200 || r.body == a.body {
		t.Errorf("B then A with one key: %s and %s, want answers of their own", r.body, a.body)
	}
	events := do(t, ts.client, "GET", ts.url+"/collections/events", "").body
	if n := strings.Count(events, `"event":"real"`); n != 3 {
		t.Errorf("%d real events stored, want 3: %s", n, events)
	}
}

// TestHandshakeFailuresThrottledByKind: handshakes that time out carry
// the client's port in their error text; they are one kind of failure and
// one log line (issue 17.2).
func TestHandshakeFailuresThrottledByKind(t *testing.T) {
	var logs logBuffer
	ts := startServer(t, func(c *server.Config) {
		c.Logger = logs.logger()
		c.ReadHeaderTimeout = 200 * time.Millisecond
	})
	const tries = 10
	conns := make([]net.Conn, tries)
	for i := range conns {
		c, err := net.Dial("tcp", ts.srv.HTTPSAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for _, c := range conns {
		// The service closes the connection after logging its failure.
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, c); err != nil && !isReset(err) {
			t.Fatalf("silent connection not closed: %v", err)
		}
	}
	if n := logs.count("TLS handshake error"); n != 1 {
		t.Errorf("%d log lines for %d timed-out handshakes, want 1:\n%s", n, tries, logs.buf.String())
	}
}

// TestNosniffOnEveryAnswer: JSON, errors, plain-text 404s and the admin
// listener's answers all carry X-Content-Type-Options: nosniff (issue
// 17.10).
func TestNosniffOnEveryAnswer(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.AdminAddr = "127.0.0.1:0" })
	for _, tc := range []struct{ method, url, body string }{
		{"GET", ts.url, ""},
		{"POST", ts.url + "/commands/event", `{"event":"x"}`},
		{"POST", ts.url + "/commands/event", `{"event":`},
		{"GET", ts.url + "/nothing", ""},
		{"GET", "http://" + ts.srv.AdminAddr().String() + "/status", ""},
		{"GET", "http://" + ts.srv.AdminAddr().String() + "/nothing", ""},
	} {
		r := do(t, ts.client, tc.method, tc.url, tc.body)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", tc.method, tc.url, r.status, got)
		}
	}
}

// TestViewEscapesBidiControls: a stored name with U+202E shows in /view
// and /view/live as the escape \u202e, not as a reversal (issue 17.10).
func TestViewEscapesBidiControls(t *testing.T) {
	ts := startServer(t, nil)
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"evil\u202egnp.exe","metadata":{"zw":"a\u200bb"}}`)
	for _, path := range []string{"/view", "/view/live"} {
		body := do(t, ts.client, "GET", ts.url+path, "").body
		if strings.ContainsAny(body, "\u202e\u200b") {
			t.Errorf("%s holds a raw bidi or zero-width character", path)
		}
		if !strings.Contains(body, `evil\u202egnp.exe`) || !strings.Contains(body, `a\u200bb`) {
			t.Errorf("%s does not show the escapes: %s", path, body)
		}
	}
}

// writeNumberedCRL writes a CRL of ca with the given number and next
// update, revoking certs.
func writeNumberedCRL(t *testing.T, ca *pki.CA, path string, number int64, next time.Time, certs ...*x509.Certificate) {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(number), ThisUpdate: next.Add(-48 * time.Hour), NextUpdate: next}
	for _, c := range certs {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: time.Now()})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// keepAliveClient is an HTTPS client presenting pair that keeps its
// connection between requests.
func keepAliveClient(t *testing.T, ts *testServer, pair *pki.Pair) *http.Client {
	t.Helper()
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = []tls.Certificate{cert}
	tr := &http.Transport{TLSClientConfig: tc}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// TestRevocationReachesOpenConnections: a certificate revoked after its
// connection was made is refused on that connection's next request
// (issue 17.7: a revoked operator kept reading for 150 s and more).
func TestRevocationReachesOpenConnections(t *testing.T) {
	ts, ca, crlPath := withCRL(t, testLogger(t), server.ClientAuthNeed)
	agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := keepAliveClient(t, ts, agent)
	if r := do(t, c, "GET", ts.url, ""); r.status != 200 {
		t.Fatalf("before revocation: %d", r.status)
	}
	writeCRL(t, ca, crlPath, false, agent.Cert)
	reused := false
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
	req, err := http.NewRequestWithContext(ctx, "GET", ts.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !reused {
		t.Fatal("the second request did not reuse the connection")
	}
	if resp.StatusCode != 403 {
		t.Errorf("a revoked certificate on its open connection: %d, want 403", resp.StatusCode)
	}
}

// TestStaleCRLWarnedAndShown: a CRL whose next update is past is loaded
// (it still revokes what it lists) with a WARN, and /status says it is
// stale (issue 17.7).
func TestStaleCRLWarnedAndShown(t *testing.T) {
	var logs logBuffer
	ts, ca, crlPath := withCRL(t, logs.logger(), server.ClientAuthNeed)
	writeNumberedCRL(t, ca, crlPath, 1<<62, time.Now().Add(-time.Hour))
	if err := ts.srv.ReloadCertificates(); err != nil {
		t.Fatal(err)
	}
	if n := logs.count("CRL is stale"); n != 1 {
		t.Errorf("%d WARN lines for a stale CRL, want 1:\n%s", n, logs.buf.String())
	}
	st := do(t, ts.client, "GET", ts.url+"/status", "")
	if !strings.Contains(st.body, `"stale":true`) || !strings.Contains(st.body, `"number":"`+strconv.FormatInt(1<<62, 10)+`"`) {
		t.Errorf("/status does not show the stale CRL: %s", st.body)
	}
}

// TestOlderCRLRefused: a CRL with a lower number than the one in use is
// refused with one ERROR, and the revocation it would lift stays (issue
// 17.7: an older CRL un-revoked a certificate).
func TestOlderCRLRefused(t *testing.T) {
	var logs logBuffer
	ts, ca, crlPath := withCRL(t, logs.logger(), server.ClientAuthNeed)
	agent, err := ca.Issue("agent.example", nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeNumberedCRL(t, ca, crlPath, 1<<62, time.Now().Add(time.Hour), agent.Cert)
	if err := ts.srv.ReloadCertificates(); err != nil {
		t.Fatal(err)
	}
	writeNumberedCRL(t, ca, crlPath, 5, time.Now().Add(time.Hour))
	if err := ts.srv.ReloadCertificates(); err == nil || !strings.Contains(err.Error(), "lower than") {
		t.Fatalf("an older CRL: %v, want an error naming the lower number", err)
	}
	if _, err := tryDo(pairClient(t, ts, agent), "GET", ts.url, ""); err == nil {
		t.Error("the older CRL lifted a revocation")
	}
	if n := logs.count("level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for one older CRL, want 1:\n%s", n, logs.buf.String())
	}
}

// TestAdminListenerHidesStoredData: a local user without the token
// printed with the admin URL reads no stored data on the admin listener
// (issue 17.9); with it, the page and its own requests (by cookie) work,
// and /status and /metrics need none.
func TestAdminListenerHidesStoredData(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.AdminAddr = "127.0.0.1:0" })
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"secret.event"}`)
	base := "http://" + ts.srv.AdminAddr().String()
	plain := &http.Client{}
	for _, path := range []string{"/view", "/view/live", "/checkin/preview", "/view?token=guess"} {
		if r := do(t, plain, "GET", base+path, ""); r.status != 403 || strings.Contains(r.body, "secret.event") {
			t.Errorf("GET %s without the token: %d %s", path, r.status, r.body)
		}
	}
	for _, path := range []string{"/status", "/metrics"} {
		if r := do(t, plain, "GET", base+path, ""); r.status != 200 {
			t.Errorf("GET %s: %d", path, r.status)
		}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	if r := do(t, browser, "GET", ts.srv.AdminURL(), ""); r.status != 200 || !strings.Contains(r.body, "secret.event") {
		t.Fatalf("the admin URL: %d", r.status)
	}
	if r := do(t, browser, "GET", base+"/view/live?after=0", ""); r.status != 200 || !strings.Contains(r.body, "secret.event") {
		t.Errorf("the page's own request, by cookie: %d", r.status)
	}
}
