package server_test

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
)

// BenchmarkIngest measures events/s for 8 concurrent keep-alive HTTP/1.1
// clients, each with its own transport and client certificate, POSTing
// events over TLS to the service with its durable store: every answer
// waits for the event to be on disk.
func BenchmarkIngest(b *testing.B) {
	ingest(b, startServer(b, func(c *server.Config) { c.Logger = discard(); c.Now = time.Now }))
}

// BenchmarkIngestNoStorage is BenchmarkIngest against an in-memory store:
// the ceiling the HTTP, TLS and JSON path allows, without fsync.
func BenchmarkIngestNoStorage(b *testing.B) {
	ingest(b, startServerWith(b, newMemStore(), func(c *server.Config) { c.Logger = discard(); c.Now = time.Now }))
}

func ingest(b *testing.B, ts *testServer) {
	const clients = 8
	url := ts.url + "/commands/event"
	body := []byte(`{"event":"puppetserver.bench.event","metadata":{"run":1337,"tags":["a","b"],"ok":true}}`)
	cls := make([]*http.Client, clients)
	for i := range cls {
		cls[i] = ts.newClient(b, true, false)
		do(b, cls[i], "GET", ts.url, "") // handshake before the clock starts
	}
	var next atomic.Int64
	var failed atomic.Value
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range cls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := postOnce(c, url, body); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}

func postOnce(c *http.Client, url string, body []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode}
	}
	return nil
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.code) }
