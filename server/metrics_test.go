package server_test

import (
	"strings"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMetricsFromTraffic drives real requests through the service and
// reads the metrics back, from the registry and by scraping the admin
// listener.
func TestMetricsFromTraffic(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{"whitelist":{"e":{"datatype":"event"},"f":{"datatype":"number"}}}`))
	ts := checkInServer(t, up, func(c *server.Config) { c.AdminAddr = "127.0.0.1:0" })
	for _, b := range []string{`{"event":"e1"}`, `{"event":"e2"}`} {
		do(t, ts.client, "POST", ts.url+"/commands/event", b)
	}
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"k"}`, "Idempotency-Key", "k1")
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"k"}`, "Idempotency-Key", "k1") // a replay
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1}}`)
	do(t, ts.client, "POST", ts.url+"/commands/event", `not json`)
	do(t, ts.client, "GET", ts.url+"/no/such/path", "")

	admin := "http://" + ts.srv.AdminAddr().String() + "/metrics"
	err := testutil.ScrapeAndCompare(admin, strings.NewReader(`
# HELP analytics_stored_total Entries stored, by collection.
# TYPE analytics_stored_total counter
analytics_stored_total{kind="events"} 3
analytics_stored_total{kind="snapshots"} 1
# HELP analytics_idempotent_replays_total Commands answered with the remembered answer of an earlier request with the same idempotency key.
# TYPE analytics_idempotent_replays_total counter
analytics_idempotent_replays_total 1
# HELP analytics_store_entries Entries stored and waiting for the next check-in, by collection.
# TYPE analytics_store_entries gauge
analytics_store_entries{kind="events"} 3
analytics_store_entries{kind="snapshots"} 1
# HELP analytics_whitelist_entries Event names and snapshot fields in the whitelist; 0 when there is none.
# TYPE analytics_whitelist_entries gauge
analytics_whitelist_entries 0
`), "analytics_stored_total", "analytics_idempotent_replays_total", "analytics_store_entries", "analytics_whitelist_entries")
	if err != nil {
		t.Error(err)
	}

	do(t, ts.client, "POST", ts.url+"/commands/send", "")
	// Requests on one keep-alive connection are handled in turn, so every
	// earlier request is counted when this scrape is gathered.
	text := do(t, ts.client, "GET", ts.url+"/metrics", "").body
	for _, want := range []string{
		`analytics_requests_total{code="200",command="event"} 4`,
		`analytics_requests_total{code="400",command="event"} 1`,
		`analytics_requests_total{code="200",command="snapshot"} 1`,
		`analytics_requests_total{code="403",command="other"} 1`,
		`analytics_requests_total{code="200",command="send"} 1`,
		`analytics_request_duration_seconds_count{command="event"} 5`,
		`analytics_checkins_total{result="success"} 1`,
		`analytics_whitelist_entries 2`,
		`analytics_store_entries{kind="events"} 0`,
		"analytics_store_bytes ",
		"analytics_store_log_backlog_bytes ",
		"analytics_last_checkin_timestamp_seconds 1.79", // fixedTime, 2026-11-29
		"go_goroutines ", "process_resident_memory_bytes ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the scrape lacks %q", want)
		}
	}
	if n, err := testutil.GatherAndCount(ts.srv.Metrics(), "analytics_store_commit_duration_seconds", "analytics_store_commit_entries"); err != nil || n != 2 {
		t.Errorf("commit histograms: %d %v", n, err)
	}
	// Four commits of entries, and the check-in's one pinning the range it
	// uploads (its id).
	if !strings.Contains(text, "analytics_store_commit_entries_count 5") {
		t.Errorf("commits observed: %s", grepLines(text, "analytics_store_commit_entries_"))
	}
	if problems, err := testutil.GatherAndLint(ts.srv.Metrics()); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
