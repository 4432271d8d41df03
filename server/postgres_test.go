package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
)

// TestPostgresServesAsBolt sends the same requests to a service on each
// backend and compares every answer and both collections byte for byte:
// arrival order, idempotency (replay and reuse), whitelist refusals and the
// batch command behave the same. (The size limit counts differently on each
// backend, bbolt's pages against PostgreSQL's rows, so it has its own test.)
func TestPostgresServesAsBolt(t *testing.T) {
	url := pgtest.NewDatabase(t)
	edit := func(c *server.Config) {
		c.Whitelist = whitelist.List{"ok": {Datatype: whitelist.DatatypeEvent}, "f": {Datatype: whitelist.DatatypeNumber}, "g": {Datatype: whitelist.DatatypeString}}
	}
	bolt := startServer(t, edit)
	pg := startServer(t, func(c *server.Config) { edit(c); c.Database.URL = url })
	type req struct{ method, path, body, key string }
	reqs := []req{
		{"POST", "/commands/event", `{"event":"ok","metadata":{"n":1}}`, "k1"},
		{"POST", "/commands/event", `{"event":"ok","metadata":{"n":1}}`, "k1"},      // replay
		{"POST", "/commands/event", `{"event":"ok","metadata":{"n":2}}`, "k1"},      // reused
		{"POST", "/commands/event", `{"event":"not-listed"}`, ""},                   // 422
		{"POST", "/commands/snapshot", `{"fields":{"f":1,"g":"a","h":true}}`, "k2"}, // 206
		{"POST", "/commands/batch", `[{"command":"event","payload":{"event":"ok"}},{"command":"snapshot","payload":{"fields":{"f":2}}}]`, ""},
		{"POST", "/commands/batch", `[{"command":"event","payload":{"event":"ok"},"idempotency-key":"k1"}]`, ""},
		{"POST", "/commands/event", `{"event":"ok","metadata":{"bad":1e400}}`, ""},
		{"GET", "/collections/events", "", ""},
		{"GET", "/collections/snapshots", "", ""},
	}
	for i, r := range reqs {
		var hdr []string
		if r.key != "" {
			hdr = []string{"Idempotency-Key", r.key}
		}
		a := do(t, bolt.client, r.method, bolt.url+r.path, r.body, hdr...)
		b := do(t, pg.client, r.method, pg.url+r.path, r.body, hdr...)
		if a.status != b.status || scrubID(a.body) != scrubID(b.body) {
			t.Fatalf("request %d (%s %s):\nbolt     %d %s\npostgres %d %s", i, r.method, r.path, a.status, a.body, b.status, b.body)
		}
	}
}

// TestPostgresStoreBound: past analytics.max-store-bytes commands get 507
// with Retry-After and nothing stored is dropped; a check-in makes room.
func TestPostgresStoreBound(t *testing.T) {
	url := pgtest.NewDatabase(t)
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, func(c *server.Config) { c.Database.URL = url; c.MaxStoreBytes = 8 << 10; c.Logger = discard() })
	body := `{"event":"big","metadata":{"x":"` + strings.Repeat("x", 900) + `"}}`
	stored := 0
	for range 20 {
		resp, err := ts.client.Post(ts.url+"/commands/event", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusInsufficientStorage {
			if resp.Header.Get("Retry-After") == "" {
				t.Fatal("507 without Retry-After")
			}
			break
		}
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		stored++
	}
	if stored == 0 || stored == 20 {
		t.Fatalf("%d of 20 stored under a limit of 8 KiB: the limit was not reached", stored)
	}
	var events []json.RawMessage
	json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/collections/events", "").body), &events)
	if len(events) != stored {
		t.Fatalf("%d events kept, %d acknowledged", len(events), stored)
	}
	if _, err := ts.srv.CheckIn(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := do(t, ts.client, "POST", ts.url+"/commands/event", body); r.status != 200 {
		t.Fatalf("after the check-in: %d %s", r.status, r.body)
	}
}

// scrubID drops the request id from an error body, which differs per
// request by design.
func scrubID(body string) string {
	var m map[string]any
	if json.Unmarshal([]byte(body), &m) != nil {
		return body
	}
	if _, ok := m["request-id"]; !ok {
		return body
	}
	delete(m, "request-id")
	out, _ := json.Marshal(m)
	return string(out)
}

// TestPostgresOutage: clients store continuously while the database
// crashes and comes back. During the outage commands get 503 with
// Retry-After; the clients retry with the same idempotency key, as the
// Reporter does; afterwards commands succeed again, and every acknowledged
// entry is stored exactly once.
func TestPostgresOutage(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	ts := startServer(t, func(c *server.Config) { c.Database.URL = cluster.URL; c.Logger = discard() })
	var mu sync.Mutex
	acked := map[string]bool{}
	ackSignal := make(chan struct{}, 64) // one per acknowledgement, while there is room
	refused := make(chan struct{}, 1)    // a 503 with Retry-After was seen
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			c := ts.newClient(t, true, false)
			for i := 0; ; i++ {
				name := fmt.Sprintf("w%d.%d", w, i)
				for { // until acknowledged, with the same key
					select {
					case <-stop:
						return
					default:
					}
					req, _ := http.NewRequest("POST", ts.url+"/commands/event", strings.NewReader(`{"event":"`+name+`"}`))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Idempotency-Key", name)
					resp, err := c.Do(req)
					if err != nil {
						continue
					}
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[name] = true
						mu.Unlock()
						select {
						case ackSignal <- struct{}{}:
						default:
						}
						break
					}
					if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
						select {
						case refused <- struct{}{}:
						default:
						}
					} else {
						t.Errorf("%s: status %d", name, resp.StatusCode)
						return
					}
				}
			}
		})
	}
	waitAcks := func(what string, n int) {
		t.Helper()
		deadline := time.After(time.Minute)
		for range n {
			select {
			case <-ackSignal:
			case <-deadline:
				close(stop)
				wg.Wait()
				t.Fatalf("not %d %s within a minute", n, what)
			}
		}
	}
	waitAcks("acknowledgements before the outage", 20)
	up := cluster.Down()
	select {
	case <-refused:
	case <-time.After(time.Minute):
		t.Fatal("no 503 with Retry-After while the database was down")
	}
	up()
	for len(ackSignal) > 0 { // acknowledgements from before the restart
		<-ackSignal
	}
	waitAcks("acknowledgements after the restart", 20)
	close(stop)
	wg.Wait()

	var events []struct{ Event string }
	if err := json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/collections/events", "").body), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Event]++
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", name, n)
		}
	}
	for name := range acked {
		if seen[name] != 1 {
			t.Errorf("acknowledged %s stored %d times", name, seen[name])
		}
	}
	t.Logf("%d acknowledged, %d stored", len(acked), len(events))
}

// TestPostgresOneCheckInPerSite: two replicas on one database check in at
// the same time, again and again, while clients store through both; the
// upstream receives every entry exactly once.
func TestPostgresOneCheckInPerSite(t *testing.T) {
	url := pgtest.NewDatabase(t)
	up := newUpstream(t, answerWith(200, `{}`))
	up.got = make(chan []byte, 100)
	edit := func(c *server.Config) { c.Database.URL = url }
	a, b := checkInServer(t, up, edit), checkInServer(t, up, edit)
	const rounds, perRound = 5, 10
	skipped := 0
	for round := range rounds {
		for i := range perRound {
			ts := a
			if i%2 == 1 {
				ts = b
			}
			do(t, ts.client, "POST", ts.url+"/commands/event", fmt.Sprintf(`{"event":"e%d.%d"}`, round, i))
		}
		var wg sync.WaitGroup
		results := make([]checkin.Result, 2)
		for i, ts := range []*testServer{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := ts.srv.CheckIn(context.Background())
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			}()
		}
		wg.Wait()
		for _, r := range results {
			if r.Skipped == checkin.SkippedOtherReplica {
				skipped++
			}
		}
	}
	close(up.got)
	seen := map[string]int{}
	for body := range up.got {
		var p struct {
			Analytics struct {
				Events []struct{ Event string } `json:"events"`
			} `json:"self-service-analytics"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Analytics.Events {
			seen[e.Event]++
		}
	}
	for round := range rounds {
		for i := range perRound {
			if n := seen[fmt.Sprintf("e%d.%d", round, i)]; n != 1 {
				t.Errorf("e%d.%d uploaded %d times", round, i, n)
			}
		}
	}
	t.Logf("%d of %d check-ins skipped because the other replica held the lock", skipped, 2*rounds)
}

// TestPostgresDailyCheckInOncePerSite: the replicas' daily timers make one
// check-in a day between them; a manual one (commands/send) always runs.
func TestPostgresDailyCheckInOncePerSite(t *testing.T) {
	url := pgtest.NewDatabase(t)
	up := newUpstream(t, answerWith(200, `{}`))
	edit := func(c *server.Config) { c.Database.URL = url; c.CheckIn.Interval = 24 * time.Hour }
	a, b := checkInServer(t, up, edit), checkInServer(t, up, edit)
	ctx := context.Background()
	do(t, a.client, "POST", a.url+"/commands/event", `{"event":"one"}`)
	if res, err := a.srv.ScheduledCheckIn(ctx); err != nil || res.Skipped != "" {
		t.Fatalf("first daily check-in: %+v %v", res, err)
	}
	do(t, b.client, "POST", b.url+"/commands/event", `{"event":"two"}`)
	if res, err := b.srv.ScheduledCheckIn(ctx); err != nil || res.Skipped != checkin.SkippedSiteCheckedIn {
		t.Fatalf("second replica's daily check-in the same day: %+v %v, want skipped", res, err)
	}
	if n := len(up.got); n != 1 {
		t.Fatalf("%d uploads, want 1", n)
	}
	if res, err := b.srv.CheckIn(ctx); err != nil || res.Skipped != "" || res.Events != 1 {
		t.Fatalf("manual check-in on the second replica: %+v %v", res, err)
	}
}

// TestPostgresSkippedCheckInInStatus: a replica that left the check-in to
// another says so in its status document.
func TestPostgresSkippedCheckInInStatus(t *testing.T) {
	url := pgtest.NewDatabase(t)
	up := newUpstream(t, answerWith(200, `{}`))
	edit := func(c *server.Config) { c.Database.URL = url; c.CheckIn.Interval = 24 * time.Hour }
	a, b := checkInServer(t, up, edit), checkInServer(t, up, edit)
	ctx := context.Background()
	if _, err := a.srv.ScheduledCheckIn(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.srv.ScheduledCheckIn(ctx); err != nil {
		t.Fatal(err)
	}
	var st opsview.Status
	if err := json.Unmarshal([]byte(do(t, b.client, "GET", b.url+"/status", "").body), &st); err != nil {
		t.Fatal(err)
	}
	if l := st.CheckIn.Last; l == nil || l.Result != checkin.Skipped || l.Skipped != checkin.SkippedSiteCheckedIn {
		t.Fatalf("status of the replica that skipped: %+v", l)
	}
}
