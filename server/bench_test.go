package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/loadgen"
	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server"
)

// BenchmarkIngest measures events/s for 8 concurrent keep-alive HTTP/1.1
// clients, each with its own transport and client certificate, POSTing
// events over TLS to the service with its durable store: every answer
// waits for the event to be on disk.
func BenchmarkIngest(b *testing.B) {
	var commits commitStats
	ingest(b, startServer(b, func(c *server.Config) {
		c.Logger = discard()
		c.Now = time.Now
		server.SetStoreCommitHook(c, commits.observe)
	}))
	commits.report(b)
}

// commitStats counts a store's group commits, for a benchmark to report
// how many calls each carried and how long each took.
type commitStats struct{ commits, calls, took atomic.Int64 }

func (c *commitStats) observe(ci store.CommitInfo) {
	c.commits.Add(1)
	c.calls.Add(int64(ci.Calls))
	c.took.Add(int64(ci.Took))
}

func (c *commitStats) report(b *testing.B) {
	if n := c.commits.Load(); n > 0 {
		b.ReportMetric(float64(c.calls.Load())/float64(n), "calls/commit")
		b.ReportMetric(float64(c.took.Load())/float64(n)/1e3, "µs/commit")
	}
}

// BenchmarkIngestNoStorage is BenchmarkIngest against an in-memory store:
// the ceiling the HTTP, TLS and JSON path allows, without fsync.
func BenchmarkIngestNoStorage(b *testing.B) {
	ingest(b, startServerWith(b, newMemStore(), func(c *server.Config) { c.Logger = discard(); c.Now = time.Now }))
}

// BenchmarkIngestSyncOnly is BenchmarkIngest against an in-memory store
// that does nothing durable but what the write-ahead log must: one write
// and one sync of a zero-filled file per group commit, with the log's
// group commit. The most any store that syncs each group can reach on this
// disk, in the same run: BenchmarkIngest over it is the log's own
// efficiency, and it over BenchmarkIngestNoStorage the disk's share.
func BenchmarkIngestSyncOnly(b *testing.B) {
	var commits commitStats
	st := newSyncOnlyStore(b, commits.observe)
	ingest(b, startServerWith(b, st, func(c *server.Config) {
		c.Logger = discard()
		c.Now = time.Now
	}))
	commits.report(b)
}

// BenchmarkIngestBatch measures events/s for 4 concurrent keep-alive
// HTTP/1.1 clients over mTLS, each POSTing batches of 64 events to
// /commands/batch with the durable store: every answer waits for its 64
// events to be on disk, and they share group commits.
func BenchmarkIngestBatch(b *testing.B) {
	ingestBatch(b, startServer(b, func(c *server.Config) { c.Logger = discard(); c.Now = time.Now }))
}

// BenchmarkIngestBatchNoStorage is BenchmarkIngestBatch against an
// in-memory store.
func BenchmarkIngestBatchNoStorage(b *testing.B) {
	ingestBatch(b, startServerWith(b, newMemStore(), func(c *server.Config) { c.Logger = discard(); c.Now = time.Now }))
}

// BenchmarkIngestPostgres is BenchmarkIngest with the entries in
// PostgreSQL (see internal/pgtest for the database it needs): every answer
// waits for its transaction to commit.
func BenchmarkIngestPostgres(b *testing.B) {
	url := pgtest.NewDatabase(b)
	ingest(b, startServer(b, func(c *server.Config) { c.Logger = discard(); c.Now = time.Now; c.Database.URL = url }))
}

// BenchmarkIngestBatchPostgres is BenchmarkIngestBatch with the entries in
// PostgreSQL.
func BenchmarkIngestBatchPostgres(b *testing.B) {
	url := pgtest.NewDatabase(b)
	ingestBatch(b, startServer(b, func(c *server.Config) { c.Logger = discard(); c.Now = time.Now; c.Database.URL = url }))
}

const benchEvent = `{"event":"puppetserver.bench.event","metadata":{"run":1337,"tags":["a","b"],"ok":true}}`

func ingest(b *testing.B, ts *testServer) {
	load{clients: 8, url: ts.url + "/commands/event", body: []byte(benchEvent), events: 1}.run(b, ts)
}

func ingestBatch(b *testing.B, ts *testServer) {
	const size = 64
	items := make([]string, size)
	for i := range items {
		items[i] = item("event", "", benchEvent)
	}
	load{clients: 4, url: ts.url + "/commands/batch", body: []byte(batch(items...)), events: size}.run(b, ts)
}

// load is a benchmark's traffic: clients each with its own transport and
// client certificate POST body to url; each POST carries events events, all
// of which must be answered 200.
type load struct {
	clients int
	url     string
	body    []byte
	events  int
}

// run posts until b.N events are answered, spread over the clients, and
// reports events/s.
func (l load) run(b *testing.B, ts *testServer) {
	cls := make([]*http.Client, l.clients)
	for i := range cls {
		cls[i] = ts.newClient(b, true, false)
		do(b, cls[i], "GET", ts.url, "") // handshake before the clock starts
	}
	posts := (b.N + l.events - 1) / l.events
	b.ReportAllocs()
	b.ResetTimer()
	elapsed, err := loadgen.Run(cls, l.url, l.body, posts, func(status int, body []byte) error {
		return checkAnswer(status, body, l.events)
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(posts)*float64(l.events)/elapsed.Seconds(), "events/s")
}

// checkAnswer accepts a 200 and, for a batch of n events, n results of 200.
func checkAnswer(status int, data []byte, n int) error {
	if err := loadgen.OK(status, data); err != nil {
		return err
	}
	if n > 1 && bytes.Count(data, []byte(`{"status":200,`)) != n {
		return fmt.Errorf("batch answer without %d results of 200: %.200s", n, data)
	}
	return nil
}
