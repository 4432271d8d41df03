package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/whitelist"
)

// Every value syntax reaches the service as the JSON it was written as.
func TestEventValueSyntaxes(t *testing.T) {
	srv := analyticstest.NewServer(t)
	args := append([]string{"event", "demo.hello",
		"greeting=world", "empty=", "eq=a=b", "n:=1337", "f:=1.50", "big:=123456789012345678901234567890",
		"yes:=true", "s:=\"quoted\"", `l:=["a","b"]`, `m:={"k":"v","n":2}`, `lm:=[{"k":1}]`,
	}, connFlags(srv.Config())...)
	r := runCLI(t, testEnv(t, nil), args...)
	expect(t, r, exitOK)

	evs := srv.Events()
	if len(evs) != 1 {
		t.Fatalf("stored %d events, want 1", len(evs))
	}
	want := map[string]string{
		"greeting": `"world"`, "empty": `""`, "eq": `"a=b"`, "n": `1337`, "f": `1.50`,
		"big": `123456789012345678901234567890`, "yes": `true`, "s": `"quoted"`,
		"l": `["a","b"]`, "m": `{"k":"v","n":2}`, "lm": `[{"k":1}]`,
	}
	assertMetadata(t, evs[0].Raw, want)
	var printed analytics.EventResult
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil || printed.Event != "demo.hello" {
		t.Errorf("stdout is not the stored event: %v %+v", err, printed)
	}
	if !strings.Contains(r.stdout, "\n  \"event\"") {
		t.Errorf("stdout is not indented JSON: %s", r.stdout)
	}
}

// assertMetadata compares the stored event's metadata, value by value, with
// the JSON text each value must have.
func assertMetadata(t *testing.T, stored json.RawMessage, want map[string]string) {
	t.Helper()
	var ev struct {
		Metadata map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(stored, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Metadata) != len(want) {
		t.Errorf("stored metadata has %d keys, want %d: %s", len(ev.Metadata), len(want), stored)
	}
	for k, w := range want {
		if got := compact(t, ev.Metadata[k]); got != w {
			t.Errorf("metadata %s = %s, want %s", k, got, w)
		}
	}
}

// compact returns raw without insignificant whitespace.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("stored value %q: %v", raw, err)
	}
	return b.String()
}

func TestSnapshotPairs(t *testing.T) {
	srv := analyticstest.NewServer(t)
	args := append([]string{"snapshot", "a.s=x", "a.n:=2", `a.l:=["1","2"]`}, connFlags(srv.Config())...)
	r := runCLI(t, testEnv(t, nil), args...)
	expect(t, r, exitOK)
	snaps := srv.Snapshots()
	if len(snaps) != 1 {
		t.Fatalf("stored %d snapshots, want 1", len(snaps))
	}
	want := map[string]any{"a.s": "x", "a.n": json.Number("2"), "a.l": []any{"1", "2"}}
	for k, v := range want {
		if got := snaps[0][k].Value; !reflect.DeepEqual(got, v) {
			t.Errorf("field %s = %#v, want %#v", k, got, v)
		}
	}
	var printed analytics.SnapshotResult
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil || len(printed.Accepted) != 3 {
		t.Errorf("stdout is not the answer with 3 accepted fields: %v %s", err, r.stdout)
	}
}

// --json sends a whole payload in its wire shape, from a file or stdin.
func TestJSONPayload(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dir := t.TempDir()
	evFile := filepath.Join(dir, "event.json")
	if err := os.WriteFile(evFile, []byte(`{"event":"from.file","metadata":{"n":1.0e3}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, runCLI(t, testEnv(t, nil), append([]string{"event", "--json", evFile}, connFlags(srv.Config())...)...), exitOK)

	stdin := strings.NewReader(`{"fields":{"from.stdin":[{"a":true}]},"timestamp":"2026-01-01T00:00:00Z"}`)
	e := withStdin(testEnv(t, nil), stdin)
	expect(t, runCLI(t, e, append([]string{"snapshot", "--json", "-", "--quiet"}, connFlags(srv.Config())...)...), exitOK)

	evs := srv.Events()
	if len(evs) != 1 || evs[0].Event != "from.file" || evs[0].Metadata["n"] != json.Number("1.0e3") {
		t.Errorf("events = %+v, want from.file with n 1.0e3 as written", evs)
	}
	snaps := srv.Snapshots()
	if len(snaps) != 1 || !reflect.DeepEqual(snaps[0]["from.stdin"].Value, []any{map[string]any{"a": true}}) {
		t.Errorf("snapshots = %+v, want from.stdin", snaps)
	}
}

func TestEntrypoint(t *testing.T) {
	srv := analyticstest.NewServer(t)
	r := runCLI(t, testEnv(t, nil), append([]string{"entrypoint"}, connFlags(srv.Config())...)...)
	expect(t, r, exitOK)
	var ep struct {
		Commands map[string]struct{ ID string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &ep); err != nil {
		t.Fatal(err)
	}
	if id := ep.Commands["event"].ID; id != srv.URL+"/commands/event" {
		t.Errorf("printed event command id %q, want %s/commands/event", id, srv.URL)
	}
}

// Every mistake is reported on one line with status 2 before any traffic.
func TestUsageErrors(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"event":"x","extra":1}`), 0o644)
	trailing := filepath.Join(dir, "trailing.json")
	os.WriteFile(trailing, []byte(`{"fields":{"a":1}} {}`), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"event"}, "NAME is required"},
		{[]string{"event", "a=b"}, "NAME comes first"},
		{[]string{"event", "x", "novalue"}, `"novalue" is not KEY=VALUE`},
		{[]string{"event", "x", "=v"}, "empty key"},
		{[]string{"event", "x", "n:=13x"}, "n:=13x: invalid JSON"},
		{[]string{"event", "x", "n:="}, "no JSON value"},
		{[]string{"event", "x", "a=1", "a:=2"}, `key "a" is given twice`},
		{[]string{"event", "x", `m:={"a":{"b":1}}`}, "invalid metadata.m.a"},
		{[]string{"event", "x", "n:=null"}, "invalid metadata.n"},
		{[]string{"event", "--json", bad}, `unknown field "extra"`},
		{[]string{"event", "--json", bad, "x"}, "cannot be combined"},
		{[]string{"event", "--json", filepath.Join(dir, "nope.json")}, "nope.json"},
		{[]string{"event", "--json", "-"}, "standard input: no JSON value"},
		{[]string{"snapshot"}, "at least one KEY=VALUE"},
		{[]string{"snapshot", "--json", trailing}, "more data after the value"},
		{[]string{"snapshot", "x:=NaN"}, "invalid JSON"},
		{[]string{"event", "x", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"entrypoint", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, testEnv(t, nil), append(tt.args, connFlags(srv.Config())...)...)
			expect(t, r, exitUsage)
			oneLine(t, r.stderr, tt.want)
		})
	}
	r := runCLI(t, testEnv(t, nil), "version", "extra")
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, `unexpected argument "extra"`)
	if evs, snaps := srv.Events(), srv.Snapshots(); len(evs)+len(snaps) != 0 {
		t.Errorf("the service stored %d events and %d snapshots after usage errors", len(evs), len(snaps))
	}
}

func TestNoArguments(t *testing.T) {
	r := runCLI(t, testEnv(t, nil))
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "analytics event") {
		t.Errorf("no usage on stderr: %s", r.stderr)
	}
}

// A whitelist makes the service refuse: a 422 exits 1 with the reasons on
// stderr and nothing on stdout; a 206 stores the rest and exits 0, naming
// the refused fields; a 206 that refused every field stored nothing and
// exits 1.
func TestServiceRefusals(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{
		"ok.event": {Datatype: whitelist.DatatypeEvent},
		"ok.n":     {Datatype: whitelist.DatatypeNumber},
	}))
	e, conn := testEnv(t, nil), connFlags(srv.Config())

	r := runCLI(t, e, append([]string{"event", "not.listed"}, conn...)...)
	expect(t, r, exitRejected)
	oneLine(t, r.stderr, "rejected", "not.listed: Not an expected event", "(exit status 1)")
	if r.stdout != "" {
		t.Errorf("an error answer on stdout: %s", r.stdout)
	}

	r = runCLI(t, e, append([]string{"snapshot", "ok.n:=1", "ok.other=x", "ok.z=y"}, conn...)...)
	expect(t, r, exitOK)
	oneLine(t, r.stderr, "partly stored (206)", "ok.other: Not an expected field; ok.z: Not an expected field")
	var printed analytics.SnapshotResult
	if err := json.Unmarshal([]byte(r.stdout), &printed); err != nil || len(printed.Rejected) != 2 {
		t.Errorf("stdout is not the 206 answer: %v %s", err, r.stdout)
	}
	if snaps := srv.Snapshots(); len(snaps) != 1 || len(snaps[0]) != 1 {
		t.Errorf("stored %+v, want one snapshot with ok.n only", snaps)
	}

	r = runCLI(t, e, append([]string{"snapshot", "ok.other=x", "ok.n=not-a-number"}, conn...)...)
	expect(t, r, exitRejected)
	oneLine(t, r.stderr, "snapshot not stored: the service refused every field (206)",
		"ok.n: Expected a value of type number; ok.other: Not an expected field")
	if r.stdout != "" || strings.Contains(r.stderr, "partly") {
		t.Errorf("all refused: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if snaps := srv.Snapshots(); len(snaps) != 1 {
		t.Errorf("stored %d snapshots, want still 1", len(snaps))
	}
}

// Another 4xx answer (here 413, body too large) also exits 1.
func TestServiceErrorAnswer(t *testing.T) {
	srv := analyticstest.NewServer(t)
	f := filepath.Join(t.TempDir(), "big.json")
	big := `{"event":"big","metadata":{"blob":"` + strings.Repeat("x", server.DefaultMaxBodyBytes) + `"}}`
	if err := os.WriteFile(f, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, testEnv(t, nil), append([]string{"event", "--json", f}, connFlags(srv.Config())...)...)
	expect(t, r, exitRejected)
	oneLine(t, r.stderr, "413", server.KindTooLarge)
	if r.stdout != "" {
		t.Errorf("an error answer on stdout: %s", r.stdout)
	}
}

// A URL with no entrypoint (404) is reported on stderr only, once prefixed,
// and never on stdout.
func TestEntrypointNotFound(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"kind":"not-found","msg":"no such route"}`)
	}))
	defer srv.Close()
	cfg := analytics.Config{URL: srv.URL + "/nope"}
	for _, args := range [][]string{{"entrypoint"}, {"event", "x"}} {
		r := runCLI(t, testEnv(t, nil), append(args, connFlags(cfg)...)...)
		expect(t, r, exitUnreachable)
		oneLine(t, r.stderr, "404", cfg.URL)
		if r.stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", args[0], r.stdout)
		}
		if strings.Contains(r.stderr, ": analytics: ") {
			t.Errorf("%s: prefix repeated: %s", args[0], r.stderr)
		}
	}
}

// Flags written before the command are the command's flags.
func TestFlagsBeforeCommand(t *testing.T) {
	srv := analyticstest.NewServer(t)
	conn := connFlags(srv.Config())
	r := runCLI(t, testEnv(t, nil), append(append([]string{"--quiet"}, conn...), "event", "before", "n:=1")...)
	expect(t, r, exitOK)
	if r.stdout != "" {
		t.Errorf("--quiet before the command was ignored: %s", r.stdout)
	}
	r = runCLI(t, testEnv(t, nil), "--url="+srv.URL+"/x", "--timeout", "5s", "entrypoint", "--url", srv.URL,
		"--ssl-cert", conn[3], "--ssl-key", conn[5], "--ssl-ca-cert", conn[7])
	expect(t, r, exitOK) // the later --url wins, as with flags after the command
	if evs := srv.Events(); len(evs) != 1 || evs[0].Event != "before" {
		t.Errorf("events %+v", evs)
	}
	r = runCLI(t, testEnv(t, nil), "--url", srv.URL)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "flag --url is not followed by a command")
}

// Messages are in the user's terms: no Go type names, the package named
// once.
func TestMessagesWithoutInternals(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dir := t.TempDir()
	files := map[string]string{"array.json": `[1]`, "number.json": `{"event":5}`, "meta.json": `{"event":"x","metadata":[]}`}
	want := map[string]string{"array.json": "must be an object, not an array",
		"number.json": `"event" must be a string, not a number`, "meta.json": `"metadata" must be an object, not an array`}
	for name, body := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		r := runCLI(t, testEnv(t, nil), append([]string{"event", "--json", filepath.Join(dir, name)}, connFlags(srv.Config())...)...)
		expect(t, r, exitUsage)
		oneLine(t, r.stderr, want[name])
		if strings.Contains(r.stderr, "Go ") || strings.Contains(r.stderr, "main.") {
			t.Errorf("Go internals: %s", r.stderr)
		}
	}
	conf := filepath.Join(dir, "conf.d")
	os.Mkdir(conf, 0o700)
	os.WriteFile(filepath.Join(conf, "a.conf"), []byte("analytics.url: https://x:8140/analytics\n"), 0o644)
	r := runCLI(t, testEnv(t, nil), "event", "x", "--config", conf)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "a.conf:1:16: key analytics.url", "quote URLs: HOCON reads // as a comment")
	if strings.Contains(r.stderr, "tkconfig") {
		t.Errorf("internal package named: %s", r.stderr)
	}
	conn := connFlags(srv.Config())
	srv.Close()
	r = runCLI(t, testEnv(t, nil), append([]string{"event", "x"}, conn...)...)
	expect(t, r, exitUnreachable)
	if strings.Contains(r.stderr, ": analytics: ") || strings.Count(r.stderr, srv.URL) != 1 {
		t.Errorf("prefix or URL repeated: %s", r.stderr)
	}
}

func TestUnreachable(t *testing.T) {
	srv := analyticstest.NewServer(t)
	conn := connFlags(srv.Config())
	srv.Close()
	for _, args := range [][]string{{"event", "x"}, {"snapshot", "a=b"}, {"entrypoint"}} {
		r := runCLI(t, testEnv(t, nil), append(args, conn...)...)
		expect(t, r, exitUnreachable)
		oneLine(t, r.stderr, "service unreachable", srv.URL, "(exit status 3)")
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing", r.stdout)
		}
	}
}

func TestQuiet(t *testing.T) {
	srv := analyticstest.NewServer(t)
	r := runCLI(t, testEnv(t, nil), append([]string{"event", "q", "--quiet"}, connFlags(srv.Config())...)...)
	expect(t, r, exitOK)
	if r.stdout != "" || r.stderr != "" {
		t.Errorf("--quiet printed %q / %q", r.stdout, r.stderr)
	}
	if len(srv.Events()) != 1 {
		t.Error("--quiet event was not stored")
	}
}

// An interrupted exchange (the context main cancels on SIGINT) exits 3
// and stores nothing.
func TestInterrupted(t *testing.T) {
	srv := analyticstest.NewServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, append([]string{"event", "x"}, connFlags(srv.Config())...), &stdout, &stderr, testEnv(t, nil))
	if code != exitUnreachable {
		t.Errorf("exit status %d, want %d (stderr %q)", code, exitUnreachable, stderr.String())
	}
	oneLine(t, stderr.String(), "context canceled")
	if n := len(srv.Events()); n != 0 {
		t.Errorf("stored %d events after the interruption", n)
	}
}
