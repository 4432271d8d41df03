package server_test

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/whitelist"
)

// tickingClock advances one second per reading, so that an entry stored
// twice would show two different timestamps.
func tickingClock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return fixedTime.Add(time.Duration(n.Add(1)) * time.Second) }
}

func TestIdempotencyKey(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Now = tickingClock() })
	ev := ts.url + "/commands/event"
	first := do(t, ts.client, "POST", ev, `{"event":"once"}`, "Idempotency-Key", "k1")
	again := do(t, ts.client, "POST", ev, `{"event":"once"}`, "Idempotency-Key", "k1")
	if first.status != 200 || !again.same(first) {
		t.Fatalf("repeat answered %d %s, first %d %s", again.status, again.body, first.status, first.body)
	}
	other := do(t, ts.client, "POST", ev, `{"event":"once"}`, "Idempotency-Key", "k2")
	if other.status != 200 || other.body == first.body {
		t.Fatalf("another key answered %d %s", other.status, other.body)
	}
	snap := do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1}}`, "Idempotency-Key", "k1")
	if snap.status != 200 || !strings.Contains(snap.body, `"accepted"`) {
		t.Fatalf("same key on snapshots answered %d %s", snap.status, snap.body)
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); strings.Count(got.body, `"once"`) != 2 {
		t.Errorf("events stored: %s", got.body)
	}
}

func TestIdempotencyKeyRemembersRejection(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Whitelist = whitelist.List{"x": {Datatype: whitelist.DatatypeEvent}} })
	ev := ts.url + "/commands/event"
	first := do(t, ts.client, "POST", ev, `{"event":"no"}`, "Idempotency-Key", "r")
	ts.srv.SetWhitelist(nil)
	again := do(t, ts.client, "POST", ev, `{"event":"no"}`, "Idempotency-Key", "r")
	if first.status != 422 || !again.same(first) {
		t.Fatalf("first %d %s, repeat %d %s", first.status, first.body, again.status, again.body)
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); got.body != "[]" {
		t.Errorf("events stored: %s", got.body)
	}
}

func TestIdempotencyKeyConcurrent(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Now = tickingClock() })
	const n = 8
	replies := make([]reply, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i], errs[i] = tryDo(ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1}}`, "Idempotency-Key", "same")
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !replies[i].same(replies[0]) || replies[i].status != 200 {
			t.Errorf("request %d: %v %+v, first %+v", i, errs[i], replies[i], replies[0])
		}
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/snapshots", ""); strings.Count(got.body, `"a"`) != 1 {
		t.Errorf("snapshots stored: %s", got.body)
	}
}

func TestIdempotencyKeyTooLong(t *testing.T) {
	ts := startServer(t, nil)
	got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"a"}`, "Idempotency-Key", strings.Repeat("k", 256))
	if got.status != 400 || !strings.Contains(got.body, `"invalid-data"`) {
		t.Errorf("long key: %d %s", got.status, got.body)
	}
}

// TestIdempotencyKeyReusedWithOtherPayload: a key is one request. Sent
// again with another payload it gets 422 idempotency-key-reused and
// nothing is stored; the same payload, however formatted, still gets the
// first answer.
func TestIdempotencyKeyReusedWithOtherPayload(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Now = tickingClock() })
	ev, sn := ts.url+"/commands/event", ts.url+"/commands/snapshot"
	first := do(t, ts.client, "POST", ev, `{"event":"m","metadata":{"x":1,"y":[1,2]}}`, "Idempotency-Key", "k")
	snap := do(t, ts.client, "POST", sn, `{"fields":{"a":1}}`, "Idempotency-Key", "k")
	for _, c := range []struct{ url, body string }{
		{ev, `{"event":"m","metadata":{"x":2,"y":[1,2]}}`},
		{ev, `{"event":"m","metadata":{"x":1,"y":[2,1]}}`},
		{ev, `{"event":"m","metadata":{"x":1.0,"y":[1,2]}}`}, // the literal is stored
		{ev, `{"event":"other"}`},
		{sn, `{"fields":{"a":2}}`},
		{sn, `{"fields":{"a":1,"b":1}}`},
	} {
		got := do(t, ts.client, "POST", c.url, c.body, "Idempotency-Key", "k")
		if got.status != 422 || got.body != keyReusedBody {
			t.Errorf("%s with the key again: %d %s", c.body, got.status, got.body)
		}
	}
	same := do(t, ts.client, "POST", ev, " {\"metadata\" : {\"y\":[1,2], \"x\":1}, \"event\":\"\\u006d\"}\n", "Idempotency-Key", "k")
	if !same.same(first) {
		t.Errorf("same payload reformatted: %d %s, first %d %s", same.status, same.body, first.status, first.body)
	}
	if again := do(t, ts.client, "POST", sn, `{"fields":{"a":1}}`, "Idempotency-Key", "k"); !again.same(snap) {
		t.Errorf("snapshot repeated: %+v, first %+v", again, snap)
	}
	if got := collection(t, ts, "events"); len(got) != 1 || !strings.Contains(got[0], `"x":1`) {
		t.Errorf("events stored: %q", got)
	}
	if got := collection(t, ts, "snapshots"); len(got) != 1 {
		t.Errorf("snapshots stored: %q", got)
	}
}
