package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/whitelist"
)

// protocolWhitelist is set for the rows that exercise the whitelist.
var protocolWhitelist = whitelist.List{
	"a.b":      {Datatype: whitelist.DatatypeNumber},
	"there.n":  {Datatype: whitelist.DatatypeNumber},
	"there.a":  {Datatype: whitelist.DatatypeString},
	"ok.event": {Datatype: whitelist.DatatypeEvent},
}

type protocolRow struct {
	name      string
	method    string
	path      string // below the prefix
	body      string
	whitelist bool
	status    int
	want      string // exact body, when set
	kind      string // error kind, for rows with a message that names Go's parser
	msgPrefix string
}

func protocolRows() []protocolRow {
	return []protocolRow{
		{name: "event accepted", method: "POST", path: "/commands/event",
			body:   `{"event":"a.b.c","metadata":{"n":1337,"f":1.50,"big":123456789012345678901234567890,"s":"<x>","ok":true,"l":[1,"a"],"m":{"k":"v"}}}`,
			status: 200,
			want:   `{"event":"a.b.c","metadata":{"big":123456789012345678901234567890,"f":1.50,"l":[1,"a"],"m":{"k":"v"},"n":1337,"ok":true,"s":"<x>"},"timestamp":"` + fixedStamp + `"}`},
		{name: "event without metadata", method: "POST", path: "/commands/event", body: `{"event":"a.b.c"}`,
			status: 200, want: `{"event":"a.b.c","timestamp":"` + fixedStamp + `"}`},
		{name: "event with empty metadata", method: "POST", path: "/commands/event", body: `{"event":"a.b.c","metadata":{}}`,
			status: 200, want: `{"event":"a.b.c","metadata":{},"timestamp":"` + fixedStamp + `"}`},
		{name: "event whitelisted", method: "POST", path: "/commands/event", body: `{"event":"ok.event"}`, whitelist: true,
			status: 200, want: `{"event":"ok.event","timestamp":"` + fixedStamp + `"}`},
		{name: "snapshot accepted", method: "POST", path: "/commands/snapshot", body: `{"fields":{"a.b":1,"c.d":{"x":"y"}}}`,
			status: 200, want: `{"accepted":{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"},"c.d":{"value":{"x":"y"},"timestamp":"` + fixedStamp + `"}},"rejected":{}}`},
		{name: "snapshot timestamp ignored", method: "POST", path: "/commands/snapshot", body: `{"fields":{"a.b":1},"timestamp":"1999-01-01T00:00:00Z"}`,
			status: 200, want: `{"accepted":{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}},"rejected":{}}`},
		{name: "snapshot partly rejected", method: "POST", path: "/commands/snapshot", whitelist: true,
			body:   `{"fields":{"a.b":1,"other":2,"there.n":"x"}}`,
			status: 206, want: `{"accepted":{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}},"rejected":{"other":"Not an expected field","there.n":"Expected a value of type number"}}`},
		{name: "event not whitelisted", method: "POST", path: "/commands/event", body: `{"event":"not.listed"}`, whitelist: true,
			status: 422, want: `{"rejected":{"not.listed":"Not an expected event"}}`},
		{name: "event listed with another datatype", method: "POST", path: "/commands/event", body: `{"event":"there.a"}`, whitelist: true,
			status: 422, want: `{"rejected":{"there.a":"Expected a value of type string"}}`},
		{name: "body not JSON", method: "POST", path: "/commands/event", body: `{"event":`,
			status: 400, kind: "invalid-data", msgPrefix: "Failed to parse body as JSON: "},
		{name: "unknown key", method: "POST", path: "/commands/event", body: `{"event":"a","extra":1}`,
			status: 422, want: `{"kind":"schema-violation","msg":"The objects that were submitted did not conform to the schema. The problem is: ([\"extra\" disallowed-key])","details":{"extra":"disallowed-key"}}`},
		{name: "unknown key in snapshot", method: "POST", path: "/commands/snapshot", body: `{"fields":{},"extra":1}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["extra" disallowed-key])`},
		// No rule allows a path the service does not serve (the defaults
		// end with a deny on the whole prefix), so it is refused before
		// routing, as behind trapperkeeper-authorization; a path a rule
		// allows but the service does not serve is a 404
		// (TestUnroutablePaths).
		{name: "unknown path", method: "GET", path: "/nope", status: 403,
			kind: "forbidden", msgPrefix: `Forbidden request: rule "` + server.RuleDenyRest + `" does not allow analytics-client`},
		{name: "unknown method", method: "GET", path: "/commands/event", status: 404},
		{name: "delete entrypoint", method: "DELETE", path: "", status: 404},
		{name: "outside prefix", method: "GET", path: "/../elsewhere", status: 404},

		// Inputs that make the JVM service answer 500.
		{name: "jvm: too deep", method: "POST", path: "/commands/snapshot", body: `{"fields":{"a":{"b":{"c":1}}}}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["fields.a.b" "too deep`},
		{name: "jvm: event not a string", method: "POST", path: "/commands/event", body: `{"event":5}`,
			status: 422, want: `{"kind":"schema-violation","msg":"The objects that were submitted did not conform to the schema. The problem is: ([\"event\" (not (string? 5))])","details":{"event":"(not (string? 5))"}}`},
		{name: "jvm: array body", method: "POST", path: "/commands/event", body: `[{"event":"a"}]`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["" (not (map? [{"event":"a"}]))])`},
		{name: "jvm: empty body", method: "POST", path: "/commands/snapshot", body: ``,
			status: 400, want: `{"kind":"invalid-data","msg":"Failed to parse body as JSON: the body is empty"}`},
		{name: "jvm: metadata null", method: "POST", path: "/commands/event", body: `{"event":"a","metadata":null}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["metadata" (not (map? nil))])`},
		{name: "jvm: null field value", method: "POST", path: "/commands/snapshot", body: `{"fields":{"a":null}}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["fields.a" "value is nil`},
		{name: "missing event", method: "POST", path: "/commands/event", body: `{"metadata":{}}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["event" missing-required-key])`},
		{name: "empty event name", method: "POST", path: "/commands/event", body: `{"event":""}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["event" "name must not be empty"])`},
		{name: "fields not an object", method: "POST", path: "/commands/snapshot", body: `{"fields":[1]}`,
			status: 422, kind: "schema-violation", msgPrefix: `The objects that were submitted did not conform to the schema. The problem is: (["fields" (not (map? [1]))])`},
		{name: "trailing garbage", method: "POST", path: "/commands/event", body: `{"event":"a"} x`,
			status: 400, want: `{"kind":"invalid-data","msg":"Failed to parse body as JSON: unexpected data after the JSON value at byte offset 13"}`},
		{name: "second value", method: "POST", path: "/commands/event", body: `{"event":"a"}{"event":"b"}`,
			status: 400, kind: "invalid-data", msgPrefix: "Failed to parse body as JSON: unexpected data after the JSON value"},
		{name: "body over the limit", method: "POST", path: "/commands/event", body: `{"event":"` + strings.Repeat("x", 2048) + `"}`,
			status: 413, want: `{"kind":"request-too-large","msg":"The body is larger than the limit of 1 KiB."}`},
	}
}

// TestProtocol drives every row of PROTOCOL.md's table, and every input that
// makes the JVM service fail, through the real service over HTTPS with a
// client certificate.
func TestProtocol(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxBodyBytes = 1024 })
	for _, row := range protocolRows() {
		t.Run(row.name, func(t *testing.T) {
			ts.useWhitelist(row.whitelist)
			got := do(t, ts.client, row.method, ts.url+row.path, row.body)
			if got.status != row.status {
				t.Fatalf("status %d, want %d; body %s", got.status, row.status, got.body)
			}
			checkBody(t, row, got)
		})
	}
}

func checkBody(t *testing.T, row protocolRow, got reply) {
	t.Helper()
	if row.status == 404 {
		if !strings.HasPrefix(got.ctype, "text/plain") {
			t.Errorf("404 Content-Type %q, want text/plain", got.ctype)
		}
		return
	}
	if got.ctype != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", got.ctype)
	}
	if row.want != "" {
		if got.body != row.want {
			t.Errorf("body\n got %s\nwant %s", got.body, row.want)
		}
		return
	}
	var e struct {
		Kind string `json:"kind"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal([]byte(got.body), &e); err != nil {
		t.Fatalf("error body %s: %v", got.body, err)
	}
	if e.Kind != row.kind || !strings.HasPrefix(e.Msg, row.msgPrefix) {
		t.Errorf("error %s, want kind %q and msg starting %q", got.body, row.kind, row.msgPrefix)
	}
}

// TestEntrypoint checks the exact document, key order included, with the
// command ids built from the request and from a configured public URL.
func TestEntrypoint(t *testing.T) {
	doc := func(base string) string {
		return `{"commands":{"event":{"name":"event","rel":"https://api.puppetlabs.com/analytics/v1/commands/event",` +
			`"id":"` + base + `/commands/event","params":{"namespace":{"datatype":"string"},"event":{"datatype":"string"},` +
			`"metadata":{"datatype":"object","optional":"true"}}},"snapshot":{"name":"snapshot",` +
			`"rel":"https://api.puppetlabs.com/analytics/v1/commands/snapshot","id":"` + base + `/commands/snapshot",` +
			`"params":{"namespace":{"datatype":"string"},"fields":{"datatype":"object"}}}},"version":{"server":"1.2.3"}}`
	}
	ts := startServer(t, func(c *server.Config) {
		c.Version = "1.2.3"
		// The plain HTTP listener identifies nobody: let anyone read the
		// entrypoint there, ahead of the default rules.
		c.Authorization = append([]authz.Rule{{Name: "entrypoint for all", SortOrder: 1, Type: authz.PathRegex,
			Path: "^/analytics/?$", AllowUnauthenticated: true}}, server.DefaultRules("", testOperator)...)
	})
	for _, u := range []string{ts.url, ts.url + "/", ts.http} {
		got := do(t, ts.client, "GET", u, "")
		want := doc(strings.TrimSuffix(strings.TrimSuffix(u, "/"), "/analytics") + "/analytics")
		if got.status != 200 || got.body != want {
			t.Errorf("GET %s: %d\n got %s\nwant %s", u, got.status, got.body, want)
		}
	}
	// A Host header without a port gets the scheme's default port, byte for
	// byte as the JVM service writes it.
	hosts := []struct{ url, host, base string }{
		{ts.url, "example.org", "https://example.org:443/analytics"},
		{ts.http, "example.org", "http://example.org:80/analytics"},
		{ts.url, "[::1]", "https://[::1]:443/analytics"},
		{ts.url, "example.org:8140", "https://example.org:8140/analytics"},
	}
	for _, h := range hosts {
		req, _ := http.NewRequest("GET", h.url, nil)
		req.Host = h.host
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != doc(h.base) {
			t.Errorf("Host %s on %s:\n got %s\nwant %s", h.host, h.url, body, doc(h.base))
		}
	}
	pub := startServer(t, func(c *server.Config) { c.Version = "1.2.3"; c.PublicURL = "https://puppet.example:8140/analytics/" })
	if got := do(t, pub.client, "GET", pub.url, ""); got.body != doc("https://puppet.example:8140/analytics") {
		t.Errorf("public URL: %s", got.body)
	}
}

// TestCustomPrefix mounts the API elsewhere.
func TestCustomPrefix(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Prefix = "/x/y/" })
	if !strings.HasSuffix(ts.url, "/x/y") {
		t.Fatalf("URL %s", ts.url)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`); got.status != 200 {
		t.Errorf("event under /x/y: %d %s", got.status, got.body)
	}
	base := strings.TrimSuffix(ts.url, "/x/y")
	for _, p := range []string{"/analytics", "/x/yz", "/x"} {
		if got := do(t, ts.client, "GET", base+p, ""); got.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, got.status)
		}
	}
}

// TestCollections stores entries and reads them back in arrival order, over
// more than one page of the store.
func TestCollections(t *testing.T) {
	ts := startServer(t, nil)
	const n = 300
	for i := range n {
		body := `{"event":"e` + strconv.Itoa(i) + `","metadata":{"i":` + strconv.Itoa(i) + `}}`
		if got := do(t, ts.client, "POST", ts.url+"/commands/event", body); got.status != 200 {
			t.Fatalf("event %d: %d %s", i, got.status, got.body)
		}
	}
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1}}`)
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":2,"b":[true]}}`)

	got := do(t, ts.client, "GET", ts.url+"/collections/events", "")
	var events []map[string]any
	if err := json.Unmarshal([]byte(got.body), &events); err != nil || got.status != 200 {
		t.Fatalf("events: %d %v %.200s", got.status, err, got.body)
	}
	if len(events) != n {
		t.Fatalf("%d events, want %d", len(events), n)
	}
	for i, e := range events {
		if e["event"] != "e"+strconv.Itoa(i) || e["timestamp"] != fixedStamp {
			t.Fatalf("event %d: %v", i, e)
		}
	}
	snaps := do(t, ts.client, "GET", ts.url+"/collections/snapshots", "")
	want := `[{"a":{"value":1,"timestamp":"` + fixedStamp + `"}},{"a":{"value":2,"timestamp":"` + fixedStamp +
		`"},"b":{"value":[true],"timestamp":"` + fixedStamp + `"}}]`
	if snaps.body != want {
		t.Errorf("snapshots\n got %s\nwant %s", snaps.body, want)
	}
}

// TestEmptyCollections answers an empty array, not null.
func TestEmptyCollections(t *testing.T) {
	ts := startServer(t, nil)
	for _, c := range []string{"events", "snapshots"} {
		if got := do(t, ts.client, "GET", ts.url+"/collections/"+c, ""); got.status != 200 || got.body != "[]" {
			t.Errorf("%s: %d %q", c, got.status, got.body)
		}
	}
}

// useWhitelist serves protocolWhitelist when on, and no whitelist otherwise.
func (ts *testServer) useWhitelist(on bool) {
	var wl whitelist.List
	if on {
		wl = protocolWhitelist
	}
	ts.srv.SetWhitelist(wl)
}
