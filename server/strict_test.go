package server_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/analytics-client/analytics/server"
)

// strictRow is a body the service must refuse rather than store changed.
type strictRow struct {
	name, path, body string
	status           int
	want             string // the exact answer
	// The entries the command adds to each collection.
	events, snapshots []string
}

// parseError is the 400 answer to a body that is not strict JSON.
func parseError(msg string) string {
	return `{"kind":"invalid-data","msg":` + strconv.Quote("Failed to parse body as JSON: "+msg) + `}`
}

// rangeError is the 422 answer to a number a float64 cannot hold.
func rangeError(path, literal string) string {
	what := strconv.Quote("number " + literal + " is out of the range of a float64 (±1.7976931348623157e308)")
	return `{"kind":"schema-violation","msg":` + strconv.Quote(schemaMsg(`[`+strconv.Quote(path)+` `+what+`]`)) +
		`,"details":{` + strconv.Quote(path) + `:` + strconv.Quote(what) + `}}`
}

func strictRows() []strictRow {
	okEvent := item("event", "", `{"event":"strict.ok"}`)
	tiny := `{"f":{"value":1e-400,"timestamp":"` + fixedStamp + `"}}`
	return []strictRow{
		{name: "1e-400 reads as zero and is stored as written", path: "/commands/snapshot", body: `{"fields":{"f":1e-400}}`,
			status: 200, want: `{"accepted":` + tiny + `,"rejected":{}}`, snapshots: []string{tiny}},
		{name: "1e400 in metadata", path: "/commands/event", body: `{"event":"demo.x","metadata":{"f":1e400}}`,
			status: 422, want: rangeError("metadata.f", "1e400")},
		{name: "-1e400 in fields", path: "/commands/snapshot", body: `{"fields":{"f":-1e400}}`,
			status: 422, want: rangeError("fields.f", "-1e400")},
		{name: "1E309 in a map in a list", path: "/commands/snapshot", body: `{"fields":{"l":[1,{"x":1E309}]}}`,
			status: 422, want: rangeError("fields.l[1].x", "1E309")},
		{name: "1e400 in a batch", path: "/commands/batch",
			body:   batch(item("event", "", `{"event":"demo.x","metadata":{"f":1e400}}`), okEvent, item("snapshot", "", `{"fields":{"f":-1e400}}`)),
			status: 200, want: results(result(422, rangeError("metadata.f", "1e400")), result(200, stored("strict.ok")),
				result(422, rangeError("fields.f", "-1e400"))),
			events: []string{stored("strict.ok")}},
		{name: "invalid UTF-8 in a name", path: "/commands/event", body: "{\"event\":\"t\xe4re\"}",
			status: 400, want: parseError("invalid UTF-8 at byte offset 11")},
		{name: "UTF-8 encoded surrogate in a key", path: "/commands/snapshot", body: "{\"fields\":{\"\xed\xa0\x80\":1}}",
			status: 400, want: parseError("invalid UTF-8 at byte offset 12")},
		{name: "lone high surrogate escape", path: "/commands/event", body: `{"event":"\ud800"}`,
			status: 400, want: parseError(`lone surrogate \ud800 at byte offset 10`)},
		{name: "lone low surrogate escape in a value", path: "/commands/snapshot", body: `{"fields":{"s":"x\udc00"}}`,
			status: 400, want: parseError(`lone surrogate \udc00 at byte offset 17`)},
		{name: "invalid UTF-8 in a batch", path: "/commands/batch", body: batch(okEvent, item("event", "", "{\"event\":\"\xff\"}")),
			status: 400, want: parseError("invalid UTF-8 at byte offset 104")},
		{name: "lone surrogate in a batch key", path: "/commands/batch", body: batch(`{"command":"event","key":"\ud800","payload":{"event":"x"}}`),
			status: 400, want: parseError(`lone surrogate \ud800 at byte offset 39`)},
		{name: "duplicate event key", path: "/commands/event", body: `{"event":"a","event":"b"}`,
			status: 400, want: parseError(`duplicate key "event" at byte offset 13`)},
		{name: "duplicate metadata key", path: "/commands/event", body: `{"event":"a","metadata":{"k":1,"k":2}}`,
			status: 400, want: parseError(`duplicate key "k" at byte offset 31`)},
		{name: "duplicate key spelled with an escape", path: "/commands/snapshot", body: `{"fields":{"a":1,"\u0061":2}}`,
			status: 400, want: parseError(`duplicate key "a" at byte offset 17`)},
		{name: "duplicate key in a batch payload", path: "/commands/batch",
			body:   batch(okEvent, item("event", "", `{"event":"a","event":"b"}`)),
			status: 400, want: parseError(`duplicate key "event" at byte offset 107`)},
	}
}

// TestStrictValues sends, over HTTPS with a client certificate, numbers a
// float64 cannot hold, text that is not valid UTF-8 or holds a lone
// surrogate, and objects with a repeated key, alone and in batches. Each
// is refused naming the path (422) or the byte offset (400); nothing of
// it is stored, and the collections still decode with encoding/json into
// float64s, as other readers would. A number too small for a float64 is
// finite (it reads as zero) and is stored as written.
func TestStrictValues(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.MaxBodyBytes = batchMaxBody })
	for _, row := range strictRows() {
		t.Run(row.name, func(t *testing.T) {
			events, snaps := collection(t, ts, "events"), collection(t, ts, "snapshots")
			got := do(t, ts.client, "POST", ts.url+row.path, row.body)
			if got.status != row.status || got.body != row.want {
				t.Fatalf("answer %d %s\n want %d %s", got.status, got.body, row.status, row.want)
			}
			checkAdded(t, "events", events, collection(t, ts, "events"), row.events)
			checkAdded(t, "snapshots", snaps, collection(t, ts, "snapshots"), row.snapshots)
		})
	}
	for _, name := range []string{"events", "snapshots"} {
		var decoded []map[string]any
		if err := json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/collections/"+name, "").body), &decoded); err != nil {
			t.Errorf("%s do not decode: %v", name, err)
		}
	}
}
