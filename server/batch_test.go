package server_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/whitelist"
)

// batchMaxBody is the body limit of the batch tests' server: large enough
// for MaxBatchCommands small events.
const batchMaxBody = 64 << 10

type batchRow struct {
	name      string
	whitelist bool
	body      string
	status    int
	want      string // exact body, when set
	kind      string // error kind, for rows with a message that names Go's parser
	msgPrefix string
	// The entries the batch adds to each collection, in any order.
	events, snapshots []string
}

// keyReusedBody answers an idempotency key sent again with another payload.
const keyReusedBody = `{"kind":"idempotency-key-reused","msg":"The idempotency key was used before for a different request; nothing was stored. Use a new key for a new request."}`

// item is one command of a batch envelope; key "" leaves the key out.
func item(command, key, payload string) string {
	k := ""
	if key != "" {
		k = `"key":` + strconv.Quote(key) + `,`
	}
	return `{"command":"` + command + `",` + k + `"payload":` + payload + `}`
}

func batch(items ...string) string { return `{"commands":[` + strings.Join(items, ",") + `]}` }

// result is one entry of a batch's answer.
func result(status int, body string) string {
	return `{"status":` + strconv.Itoa(status) + `,"body":` + body + `}`
}

func results(rs ...string) string { return `{"results":[` + strings.Join(rs, ",") + `]}` }

// stored is an event as the collection and the answer show it.
func stored(name string) string { return `{"event":"` + name + `","timestamp":"` + fixedStamp + `"}` }

// schemaMsg is the message of a schema violation listing problems.
func schemaMsg(problems string) string {
	return `The objects that were submitted did not conform to the schema. The problem is: (` + problems + `)`
}

func batchRows() []batchRow {
	snapOK := `{"accepted":{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}},"rejected":{}}`
	return []batchRow{
		{name: "mixed events and snapshots",
			body: batch(item("event", "", `{"event":"m.one"}`), item("snapshot", "", `{"fields":{"a.b":1}}`),
				item("event", "", `{"event":"m.two","metadata":{"n":1.50}}`)),
			status: 200,
			want: results(result(200, stored("m.one")), result(200, snapOK),
				result(200, `{"event":"m.two","metadata":{"n":1.50},"timestamp":"`+fixedStamp+`"}`)),
			events:    []string{stored("m.one"), `{"event":"m.two","metadata":{"n":1.50},"timestamp":"` + fixedStamp + `"}`},
			snapshots: []string{`{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}}`}},
		{name: "per-item answers", whitelist: true,
			body: batch(item("event", "", `{"event":"ok.event"}`),
				item("snapshot", "", `{"fields":{"a.b":1,"other":2}}`),
				item("event", "", `{"event":"not.listed"}`),
				item("event", "", `{"event":5}`),
				item("snapshot", "", `[1]`),
				item("event", strings.Repeat("k", 256), `{"event":"ok.event"}`)),
			status: 200,
			want: results(result(200, stored("ok.event")),
				result(206, `{"accepted":{"a.b":{"value":1,"timestamp":"`+fixedStamp+`"}},"rejected":{"other":"Not an expected field"}}`),
				result(422, `{"rejected":{"not.listed":"Not an expected event"}}`),
				result(422, `{"kind":"schema-violation","msg":`+strconv.Quote(schemaMsg(`["event" (not (string? 5))]`))+`,"details":{"event":"(not (string? 5))"}}`),
				result(422, `{"kind":"schema-violation","msg":`+strconv.Quote(schemaMsg(`["" (not (map? [1]))]`))+`,"details":{"":"(not (map? [1]))"}}`),
				result(400, `{"kind":"invalid-data","msg":"The idempotency key is longer than 255 bytes."}`)),
			events:    []string{stored("ok.event")},
			snapshots: []string{`{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}}`}},
		{name: "key first used", body: batch(item("event", "k1", `{"event":"k.first"}`)),
			status: 200, want: results(result(200, stored("k.first"))), events: []string{stored("k.first")}},
		{name: "key repeated in a later batch",
			body: batch(item("event", "k1", `{"event":"k.first"}`), item("snapshot", "k1", `{"fields":{"a.b":1}}`),
				item("event", "k1", `{"event":"k.other"}`)),
			status: 200, want: results(result(200, stored("k.first")), result(200, snapOK), result(422, keyReusedBody)),
			snapshots: []string{`{"a.b":{"value":1,"timestamp":"` + fixedStamp + `"}}`}},
		{name: "key repeated within a batch",
			body: batch(item("event", "k2", `{"event":"d.one"}`), item("event", "k2", `{ "event" : "d.one" }`),
				item("event", "k2", `{"event":5}`), item("event", "k2", `{"event":"d.two"}`)),
			status: 200,
			want: results(result(200, stored("d.one")), result(200, stored("d.one")),
				result(422, `{"kind":"schema-violation","msg":`+strconv.Quote(schemaMsg(`["event" (not (string? 5))]`))+`,"details":{"event":"(not (string? 5))"}}`),
				result(422, keyReusedBody)),
			events: []string{stored("d.one")}},
		{name: "rejection remembered within a batch", whitelist: true,
			body: batch(item("event", "k3", `{"event":"not.listed"}`), item("event", "k3", `{"event":"not.listed"}`),
				item("event", "k3", `{"event":"ok.event"}`)),
			status: 200,
			want: results(result(422, `{"rejected":{"not.listed":"Not an expected event"}}`),
				result(422, `{"rejected":{"not.listed":"Not an expected event"}}`), result(422, keyReusedBody))},
		{name: "empty batch", body: `{"commands":[]}`, status: 200, want: `{"results":[]}`},
		fullBatchRow(),
		{name: "too many commands", body: manyEvents(server.MaxBatchCommands + 1), status: 413,
			want: `{"kind":"request-too-large","msg":"The batch has 1001 commands, more than the limit of 1000."}`},
		{name: "body over the limit", body: batch(item("event", "", `{"event":"`+strings.Repeat("x", batchMaxBody)+`"}`)),
			status: 413, want: `{"kind":"request-too-large","msg":"The body is larger than the limit of 64 KiB."}`},

		// Envelopes that are not the batch shape fail as a whole.
		{name: "not JSON", body: `{"commands":[`, status: 400, kind: "invalid-data", msgPrefix: "Failed to parse body as JSON: "},
		{name: "trailing bytes", body: `{"commands":[]} x`, status: 400,
			want: `{"kind":"invalid-data","msg":"Failed to parse body as JSON: unexpected data after the JSON value at byte offset 15"}`},
		{name: "empty body", body: ``, status: 400,
			want: `{"kind":"invalid-data","msg":"Failed to parse body as JSON: the body is empty"}`},
		{name: "array body", body: `[]`, status: 422, kind: "schema-violation", msgPrefix: schemaMsg(`["" (not (map? []))]`)},
		{name: "missing commands", body: `{}`, status: 422,
			want: `{"kind":"schema-violation","msg":` + strconv.Quote(schemaMsg(`["commands" missing-required-key]`)) + `,"details":{"commands":"missing-required-key"}}`},
		{name: "unknown key", body: `{"commands":[],"extra":1}`, status: 422, kind: "schema-violation", msgPrefix: schemaMsg(`["extra" disallowed-key]`)},
		{name: "commands not an array", body: `{"commands":{}}`, status: 422, kind: "schema-violation",
			msgPrefix: schemaMsg(`["commands" (not (sequential? {}))]`)},
		{name: "item not an object", body: batch(item("event", "", `{"event":"bad.env"}`), `5`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.1" (not (map? 5))]`)},
		{name: "item without command", body: batch(`{"payload":{}}`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.0.command" missing-required-key]`)},
		{name: "unknown command", body: batch(item("event", "", `{"event":"bad.env"}`), item("delete", "", `{}`)), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.1.command" (not (#{"event" "snapshot"} "delete"))]`)},
		{name: "command not a string", body: batch(`{"command":["event"],"payload":{}}`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.0.command" (not (#{"event" "snapshot"} ["event"]))]`)},
		{name: "unknown item key", body: batch(`{"command":"event","payload":{"event":"bad.env"},"when":1}`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.0.when" disallowed-key]`)},
		{name: "key not a string", body: batch(`{"command":"event","key":7,"payload":{"event":"bad.env"}}`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.0.key" (not (string? 7))]`)},
		{name: "missing payload", body: batch(`{"command":"snapshot"}`), status: 422,
			kind: "schema-violation", msgPrefix: schemaMsg(`["commands.0.payload" missing-required-key]`)},
	}
}

// manyEvents is a batch of n events named e.0, e.1, ...
func manyEvents(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item("event", "", `{"event":"e.`+strconv.Itoa(i)+`"}`)
	}
	return batch(items...)
}

// fullBatchRow is a batch of exactly MaxBatchCommands events.
func fullBatchRow() batchRow {
	n := server.MaxBatchCommands
	rs, events := make([]string, n), make([]string, n)
	for i := range n {
		events[i] = stored("e." + strconv.Itoa(i))
		rs[i] = result(200, events[i])
	}
	return batchRow{name: "the most commands", body: manyEvents(n), status: 200, want: results(rs...), events: events}
}

// TestBatch drives batches through the service over HTTPS with a client
// certificate, in order (the idempotency rows build on each other), and
// checks each answer and exactly what each batch added to the collections.
func TestBatch(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxBodyBytes = batchMaxBody })
	for _, row := range batchRows() {
		t.Run(row.name, func(t *testing.T) {
			ts.useWhitelist(row.whitelist)
			events, snaps := collection(t, ts, "events"), collection(t, ts, "snapshots")
			got := do(t, ts.client, "POST", ts.url+"/commands/batch", row.body)
			if got.status != row.status {
				t.Fatalf("status %d, want %d; body %.500s", got.status, row.status, got.body)
			}
			checkBody(t, protocolRow{status: row.status, want: row.want, kind: row.kind, msgPrefix: row.msgPrefix}, got)
			checkAdded(t, "events", events, collection(t, ts, "events"), row.events)
			checkAdded(t, "snapshots", snaps, collection(t, ts, "snapshots"), row.snapshots)
		})
	}
}

// collection reads a collection as its entries' JSON.
func collection(t *testing.T, ts *testServer, name string) []string {
	t.Helper()
	got := do(t, ts.client, "GET", ts.url+"/collections/"+name, "")
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(got.body), &raw); err != nil || got.status != 200 {
		t.Fatalf("%s: %d %v %.200s", name, got.status, err, got.body)
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		out[i] = string(r)
	}
	return out
}

// checkAdded checks that after is before plus exactly want, in any order.
func checkAdded(t *testing.T, name string, before, after, want []string) {
	t.Helper()
	if len(after) < len(before) || !slices.Equal(after[:len(before)], before) {
		t.Fatalf("%s: earlier entries changed", name)
	}
	added := slices.Sorted(slices.Values(after[len(before):]))
	if want := slices.Sorted(slices.Values(want)); !slices.Equal(added, want) {
		t.Errorf("%s added\n got %.1000q\nwant %.1000q", name, added, want)
	}
}

// TestBatchAnswersAsSingleCommands sends every protocol row whose body is
// JSON both alone and as a batch item: each result must be the single
// command's status and body, byte for byte.
func TestBatchAnswersAsSingleCommands(t *testing.T) {
	ts := startServer(t, nil)
	for _, whitelisted := range []bool{false, true} {
		wl := whitelist.List(nil)
		if whitelisted {
			wl = protocolWhitelist
		}
		ts.srv.SetWhitelist(wl)
		var items, want []string
		for _, row := range protocolRows() {
			if row.method != "POST" || row.whitelist != whitelisted || row.status == 413 || !json.Valid([]byte(row.body)) {
				continue
			}
			single := do(t, ts.client, "POST", ts.url+row.path, row.body)
			items = append(items, item(strings.TrimPrefix(row.path, "/commands/"), "", row.body))
			want = append(want, result(single.status, single.body))
		}
		got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...))
		if got.status != 200 || got.body != results(want...) {
			t.Errorf("whitelist %v: %d\n got %s\nwant %s", whitelisted, got.status, got.body, results(want...))
		}
	}
}

// TestBatchSharesKeysWithSingleCommands: a batch item's key and a single
// command's Idempotency-Key header name the same thing.
func TestBatchSharesKeysWithSingleCommands(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Now = tickingClock() })
	first := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"via.single"}`, "Idempotency-Key", "s1")
	got := do(t, ts.client, "POST", ts.url+"/commands/batch",
		batch(item("event", "s1", `{"event":"via.single"}`), item("event", "s2", `{"event":"via.batch"}`)))
	var res struct {
		Results []struct {
			Status int
			Body   json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(got.body), &res); err != nil || len(res.Results) != 2 {
		t.Fatalf("batch: %d %v %s", got.status, err, got.body)
	}
	if r := res.Results[0]; r.Status != first.status || string(r.Body) != first.body {
		t.Errorf("batch repeat of s1: %d %s, first %d %s", r.Status, r.Body, first.status, first.body)
	}
	again := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"via.batch"}`, "Idempotency-Key", "s2")
	if r := res.Results[1]; again.status != r.Status || again.body != string(r.Body) {
		t.Errorf("single repeat of s2: %d %s, batch %d %s", again.status, again.body, r.Status, r.Body)
	}
	if events := collection(t, ts, "events"); len(events) != 2 {
		t.Errorf("events stored: %q", events)
	}
}

// TestBatchConcurrentRepeats posts the same keyed batch from several
// clients at once: every answer is the first one and each entry is stored
// once.
func TestBatchConcurrentRepeats(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Now = tickingClock() })
	body := batch(item("event", "c1", `{"event":"c.one"}`), item("snapshot", "c1", `{"fields":{"a":1}}`),
		item("event", "c2", `{"event":"c.two"}`))
	const n = 8
	replies, errs := make([]reply, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { replies[i], errs[i] = tryDo(ts.client, "POST", ts.url+"/commands/batch", body) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !replies[i].same(replies[0]) || replies[i].status != 200 || strings.Count(replies[i].body, `"status":200`) != 3 {
			t.Errorf("batch %d: %v %+v, first %+v", i, errs[i], replies[i], replies[0])
		}
	}
	if got := collection(t, ts, "events"); len(got) != 2 {
		t.Errorf("events stored: %q", got)
	}
	if got := collection(t, ts, "snapshots"); len(got) != 1 {
		t.Errorf("snapshots stored: %q", got)
	}
}

// TestBatchRoute: the batch is a POST beside the other commands, and the
// entrypoint does not advertise it.
func TestBatchRoute(t *testing.T) {
	ts := startServer(t, nil)
	if got := do(t, ts.client, "GET", ts.url+"/commands/batch", ""); got.status != 404 {
		t.Errorf("GET: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "GET", ts.url, ""); strings.Contains(got.body, "batch") {
		t.Errorf("entrypoint: %s", got.body)
	}
}

// TestBatchKeepsOrder: with the Bolt store a batch is appended in one
// ordered step, so its entries are stored in the order sent.
func TestBatchKeepsOrder(t *testing.T) {
	ts := startServer(t, nil)
	var items, want []string
	for i := range 100 {
		name := fmt.Sprintf("order.%03d", i)
		items = append(items, item("event", fmt.Sprint("key", i), `{"event":"`+name+`"}`))
		want = append(want, name)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...)); got.status != 200 {
		t.Fatalf("batch: %d %.300s", got.status, got.body)
	}
	var got []string
	for _, e := range collection(t, ts, "events") {
		var ev struct{ Event string }
		if err := json.Unmarshal([]byte(e), &ev); err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.Event)
	}
	if !slices.Equal(got, want) {
		t.Errorf("stored order:\n got %v\nwant %v", got, want)
	}
}
