package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// ownCertname is global.hostname of the services in the authorization
// tests: the certname of the service itself.
const ownCertname = "puppet.example.com"

// refused is the expected "status" of a caller whose TLS handshake fails.
const refused = -1

// caller is one kind of client: its HTTP client and the entrypoint it uses.
type caller struct {
	name   string
	client *http.Client
	url    string
}

// callers are the identities the table tests use against ts: no
// certificate over TLS, plain HTTP, a certificate from another CA, a
// revoked certificate, an agent's certificate, the service's own certname,
// and a certificate named for reading one collection.
func authzCallers(t *testing.T, ts *testServer, revoked caller) map[string]caller {
	t.Helper()
	other, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	wrongCA := certClient(t, ts.pki, other.ClientCert, other.ClientKey)
	return map[string]caller{
		"anonymous":     {"anonymous", ts.newClient(t, false, false), ts.url},
		"plain-http":    {"plain-http", &http.Client{Transport: &http.Transport{}}, ts.http},
		"wrong-ca":      {"wrong-ca", wrongCA, ts.url},
		"revoked":       {"revoked", revoked.client, ts.url},
		"agent":         {"agent", issuedClient(t, ts, "agent.example.com"), ts.url},
		"own":           {"own", issuedClient(t, ts, ownCertname), ts.url},
		"events-reader": {"events-reader", issuedClient(t, ts, "events-reader"), ts.url},
	}
}

// issuedClient returns a client presenting a new certificate for cn from
// the service's CA.
func issuedClient(t *testing.T, ts *testServer, cn string) *http.Client {
	t.Helper()
	_, cert, key, err := ts.pki.IssueClient(t.TempDir(), cn)
	if err != nil {
		t.Fatal(err)
	}
	return certClient(t, ts.pki, cert, key)
}

// certClient returns a client trusting b's CA and presenting cert/key.
func certClient(t *testing.T, b *pki.Bundle, certFile, keyFile string) *http.Client {
	t.Helper()
	tc, err := b.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = []tls.Certificate{pair}
	tr := &http.Transport{TLSClientConfig: tc}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// authzRequest is one request of the table: every endpoint, a method the
// service does not serve, and a path it does not serve.
type authzRequest struct {
	name, method, path, body string
}

var authzRequests = []authzRequest{
	{"entrypoint", "GET", "", ""},
	{"entrypoint/", "GET", "/", ""},
	{"event", "POST", "/commands/event", `{"event":"authz.e"}`},
	{"snapshot", "POST", "/commands/snapshot", `{"fields":{"authz.f":1}}`},
	{"batch", "POST", "/commands/batch", `{"commands":[{"command":"event","payload":{"event":"authz.b"}}]}`},
	{"send", "POST", "/commands/send", ""},
	{"events", "GET", "/collections/events", ""},
	{"snapshots", "GET", "/collections/snapshots", ""},
	{"status", "GET", "/status", ""},
	{"preview", "GET", "/checkin/preview", ""},
	{"view", "GET", "/view", ""},
	{"view-live", "GET", "/view/live", ""},
	{"metrics", "GET", "/metrics", ""},
	{"wrong method", "GET", "/commands/event", ""},
	{"unknown path", "GET", "/nope", ""},
}

// expect maps request name to the status for each caller, in the order
// anonymous, plain-http, wrong-ca, revoked, agent, own, events-reader.
type expect map[string][7]int

var callerOrder = [7]string{"anonymous", "plain-http", "wrong-ca", "revoked", "agent", "own", "events-reader"}

// withRevoked issues a client certificate from the service's CA and
// revokes it in the CRL file the service reads (webserver.ssl-crl-path);
// the returned caller presents it once the service runs.
func withRevoked(t *testing.T, cfg *server.Config) *caller {
	t.Helper()
	b, err := pki.LoadOrGenerate(filepath.Dir(cfg.TLS.CAFile)) // the service's bundle
	if err != nil {
		t.Fatal(err)
	}
	cert, certFile, keyFile, err := b.IssueClient(t.TempDir(), "revoked.example.com")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := b.CA()
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ca.CRL(cert)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS.CRLFile = filepath.Join(t.TempDir(), "crl.pem")
	if err := os.WriteFile(cfg.TLS.CRLFile, crl, 0o644); err != nil {
		t.Fatal(err)
	}
	return &caller{name: "revoked", client: certClient(t, b, certFile, keyFile)}
}

// TestDefaultRules runs every caller against every endpoint of a service
// with no authorization rules configured (client-auth want, so that a
// client without a certificate reaches the rules).
func TestDefaultRules(t *testing.T) {
	var revoked *caller
	ts := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthWant
		c.CheckIn.Certname = ownCertname
		c.Authorization = serviceDefaults
		revoked = withRevoked(t, c)
	})
	ts.srv.SetWhitelist(nil)
	const r = refused
	runAuthzTable(t, ts, *revoked, expect{
		"entrypoint":   {403, 403, r, r, 200, 200, 200},
		"entrypoint/":  {403, 403, r, r, 200, 200, 200},
		"event":        {403, 403, r, r, 200, 200, 200},
		"snapshot":     {403, 403, r, r, 200, 200, 200},
		"batch":        {403, 403, r, r, 200, 200, 200},
		"send":         {403, 403, r, r, 403, 200, 403},
		"events":       {403, 403, r, r, 403, 200, 403},
		"snapshots":    {403, 403, r, r, 403, 200, 403},
		"status":       {403, 403, r, r, 403, 200, 403},
		"preview":      {403, 403, r, r, 403, 200, 403},
		"view":         {403, 403, r, r, 403, 200, 403},
		"view-live":    {403, 403, r, r, 403, 200, 403},
		"metrics":      {403, 403, r, r, 403, 200, 403},
		"wrong method": {403, 403, r, r, 404, 404, 404},
		"unknown path": {403, 403, r, r, 403, 403, 403},
	})
}

// stockShapeRules are rules written as Puppet's stock auth.conf writes
// them: a public entrypoint (allow-unauthenticated), commands for any
// authenticated client, a regex path whose capture names who may read each
// collection ($1), the operator endpoints for the service's certname, and
// a final deny of everything at sort-order 999.
var stockShapeRules = []authz.Rule{
	{Name: "analytics entrypoint", SortOrder: 500, Type: authz.PathRegex, Path: "^/analytics/?$",
		Methods: []string{"get"}, AllowUnauthenticated: true},
	{Name: "analytics commands", SortOrder: 500, Type: authz.PathRegex,
		Path: "^/analytics/commands/(event|snapshot|batch)$", Methods: []string{"post"}, Allow: []string{"*"}},
	{Name: "analytics collections", SortOrder: 500, Type: authz.PathRegex,
		Path: "^/analytics/collections/([^/]+)$", Methods: []string{"get"}, Allow: []string{"$1-reader", ownCertname}},
	{Name: "analytics operators", SortOrder: 600, Type: authz.PathPrefix, Path: "/analytics/",
		Allow: []string{ownCertname}},
	{Name: "puppetlabs deny all", SortOrder: 999, Type: authz.PathPrefix, Path: "/", Deny: []string{"*"}},
}

// TestStockShapeRules runs every caller against every endpoint under
// stockShapeRules.
func TestStockShapeRules(t *testing.T) {
	var revoked *caller
	ts := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthWant
		c.CheckIn.Certname = ownCertname
		c.Authorization = stockShapeRules
		revoked = withRevoked(t, c)
	})
	ts.srv.SetWhitelist(nil)
	const r = refused
	runAuthzTable(t, ts, *revoked, expect{
		"entrypoint":   {200, 200, r, r, 200, 200, 200},
		"entrypoint/":  {200, 200, r, r, 200, 200, 200},
		"event":        {403, 403, r, r, 200, 200, 200},
		"snapshot":     {403, 403, r, r, 200, 200, 200},
		"batch":        {403, 403, r, r, 200, 200, 200},
		"send":         {403, 403, r, r, 403, 200, 403},
		"events":       {403, 403, r, r, 403, 200, 200},
		"snapshots":    {403, 403, r, r, 403, 200, 403},
		"status":       {403, 403, r, r, 403, 200, 403},
		"preview":      {403, 403, r, r, 403, 200, 403},
		"view":         {403, 403, r, r, 403, 200, 403},
		"view-live":    {403, 403, r, r, 403, 200, 403},
		"metrics":      {403, 403, r, r, 403, 200, 403},
		"wrong method": {403, 403, r, r, 403, 404, 403},
		"unknown path": {403, 403, r, r, 403, 404, 403},
	})
}

// runAuthzTable sends every request as every caller and checks the
// status; a refused request must leave the store as it was and answer in
// the JSON error shape naming the certname and never any data.
func runAuthzTable(t *testing.T, ts *testServer, revoked caller, want expect) {
	t.Helper()
	callers := authzCallers(t, ts, revoked)
	own := callers["own"]
	for _, req := range authzRequests {
		row, ok := want[req.name]
		if !ok {
			t.Fatalf("no expectation for %s", req.name)
		}
		for i, name := range callerOrder {
			c := callers[name]
			t.Run(req.name+"/"+name, func(t *testing.T) {
				seed(t, own)
				before := storeState(t, own)
				status, body, err := authzDo(c, req)
				switch {
				case row[i] == refused:
					if err == nil || !isHandshakeFailure(err) {
						t.Fatalf("want a refused handshake, got %d %v", status, err)
					}
				case err != nil:
					t.Fatalf("%v", err)
				case status != row[i]:
					t.Fatalf("status %d, want %d; body %.200s", status, row[i], body)
				}
				if row[i] == 403 || row[i] == refused {
					checkRefusal(t, body, status)
					if after := storeState(t, own); after != before {
						t.Errorf("refused request changed the store:\nbefore %s\nafter  %s", before, after)
					}
				}
			})
		}
	}
}

// authzDo sends req as c and returns the status and the body (none for
// the live view, which streams until the client leaves).
func authzDo(c caller, req authzRequest) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if req.body != "" {
		rd = strings.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.url+req.path, rd)
	if err != nil {
		return 0, "", err
	}
	if req.body != "" {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(hr)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, "", nil
	}
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), err
}

// checkRefusal checks a 403 body: the JSON error shape with kind
// forbidden, the rule and certname in details, a request id, and no
// stored data.
func checkRefusal(t *testing.T, body string, status int) {
	t.Helper()
	if status != 403 {
		return // a refused handshake has no body
	}
	var e struct {
		Kind      string            `json:"kind"`
		Msg       string            `json:"msg"`
		Details   map[string]string `json:"details"`
		RequestID string            `json:"request-id"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("403 body %s: %v", body, err)
	}
	if e.Kind != server.KindForbidden || e.Details["rule"] == "" || e.Details["certname"] == "" || e.RequestID == "" {
		t.Errorf("403 body %s", body)
	}
	if strings.Contains(body, "authz.") || strings.Contains(body, "seed.") {
		t.Errorf("403 body carries data: %s", body)
	}
}

// seed stores an event and a snapshot as the service's own certname, so
// that a refused request has something to leak or lose.
func seed(t *testing.T, own caller) {
	t.Helper()
	for _, r := range []authzRequest{{"", "POST", "/commands/event", `{"event":"seed.e"}`},
		{"", "POST", "/commands/snapshot", `{"fields":{"seed.f":1}}`}} {
		if status, body, err := authzDo(own, r); err != nil || status != 200 {
			t.Fatalf("seed: %d %v %s", status, err, body)
		}
	}
}

// storeState is both collections as the service's own certname reads them.
func storeState(t *testing.T, own caller) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"/collections/events", "/collections/snapshots"} {
		status, body, err := authzDo(own, authzRequest{"", "GET", p, ""})
		if err != nil || status != 200 {
			t.Fatalf("read %s: %d %v", p, status, err)
		}
		b.WriteString(body)
	}
	return b.String()
}

// TestDefaultOwnCertnameIsServerCN: with no global.hostname the service's
// own certname is the CN of its server certificate.
func TestDefaultOwnCertnameIsServerCN(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Authorization = serviceDefaults })
	own := issuedClient(t, ts, pki.ServerCommonName)
	if got := do(t, own, "GET", ts.url+"/status", ""); got.status != 200 {
		t.Errorf("status as %s: %d %s", pki.ServerCommonName, got.status, got.body)
	}
	if got := do(t, ts.client, "GET", ts.url+"/status", ""); got.status != 403 {
		t.Errorf("status as %s: %d %s", pki.ClientCommonName, got.status, got.body)
	}
}

// TestUnroutablePaths: an encoded slash or a dot segment is a 404 for
// every caller, even one every rule allows, and never reaches a handler.
func TestUnroutablePaths(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Authorization = openRules })
	paths := []string{
		"/collections%2fevents", "/collections%2Fevents", "/commands/../collections/events",
		"/./collections/events", "/collections/%2e%2e/collections/events", "/collections/events/.",
		"/commands%2f..%2fcollections%2fevents",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			got, err := rawGet(ts, "/analytics"+p)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, "HTTP/1.1 404 ") {
				t.Errorf("GET %s: %.80q", p, got)
			}
		})
	}
	// A path the rules allow that the service does not serve is a 404 too.
	if got := do(t, ts.client, "GET", ts.url+"/nope", ""); got.status != 404 {
		t.Errorf("unknown path under open rules: %d", got.status)
	}
}

// rawGet sends a GET with path exactly as given (an http.Client would
// clean it) and returns the status line and the rest of the answer.
func rawGet(ts *testServer, path string) (string, error) {
	tc, err := ts.pki.ClientTLSConfig()
	if err != nil {
		return "", err
	}
	conn, err := tls.Dial("tcp", ts.srv.HTTPSAddr().String(), tc)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	data, err := io.ReadAll(conn)
	return string(data), err
}

// TestIdentityHeadersIgnored: headers that name a client (as a proxy
// terminating TLS would set them) authenticate nobody.
func TestIdentityHeadersIgnored(t *testing.T) {
	ts := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthWant
		c.CheckIn.Certname = ownCertname
		c.Authorization = serviceDefaults
	})
	anon := ts.newClient(t, false, true)
	got := do(t, anon, "GET", ts.url+"/status", "", "X-Client-Verify", "SUCCESS",
		"X-Client-DN", "CN="+ownCertname, "X-SSL-Client-S-DN", "CN="+ownCertname)
	if got.status != 403 || !strings.Contains(got.body, `"certname":"unauthenticated"`) {
		t.Errorf("status with identity headers and no certificate: %d %s", got.status, got.body)
	}
}

// TestJVMClientUnderDefaults: a JVM client with a certificate from the CA
// (the entrypoint, then the advertised command, each on a new connection)
// keeps working under the default rules, under need and want.
func TestJVMClientUnderDefaults(t *testing.T) {
	for _, auth := range []server.ClientAuth{server.ClientAuthNeed, server.ClientAuthWant} {
		t.Run(string(auth), func(t *testing.T) {
			ts := startServer(t, func(c *server.Config) {
				c.TLS.ClientAuth = auth
				c.Authorization = serviceDefaults
			})
			fresh := ts.newClient(t, true, true)
			if got := jvmExchange(t, fresh, ts.url, "event", `{"event":"jvm.e"}`); got.status != 200 {
				t.Errorf("event: %d %s", got.status, got.body)
			}
			if got := jvmExchange(t, fresh, ts.url, "snapshot", `{"fields":{"jvm.f":1}}`); got.status != 200 {
				t.Errorf("snapshot: %d %s", got.status, got.body)
			}
		})
	}
}
