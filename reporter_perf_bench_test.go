package analytics_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// downClient returns a client whose service is down (nothing listens on
// port 1), for benchmarks that measure the enqueue side alone.
func downClient(b *testing.B) *analytics.Client {
	c, err := analytics.New(analytics.Config{URL: "http://127.0.0.1:1/analytics", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// parked are options under which a down service is retried once an hour,
// so nothing but the benchmark runs.
func parked(o analytics.ReporterOptions) analytics.ReporterOptions {
	o.MaxBytes, o.Workers = 1<<40, 1
	o.MaxBackoff, o.Backoff = time.Hour, func(int) time.Duration { return time.Hour }
	o.Logger = quiet
	return o
}

// BenchmarkReporterDurablePeriodic: Event in durable mode with SyncPeriodic,
// one caller, the service down: the enqueue cost of a durable reporter
// (validate, encode, append to the spool).
func BenchmarkReporterDurablePeriodic(b *testing.B) {
	r, err := analytics.NewReporter(downClient(b), parked(analytics.ReporterOptions{
		Dir: b.TempDir(), Sync: analytics.SyncPeriodic, SyncInterval: 100 * time.Millisecond}))
	if err != nil {
		b.Fatal(err)
	}
	defer closeNow(r)
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Event(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReporterEnqueueLive: Event in memory mode, one caller, while
// four workers deliver to the real service over mTLS (so enqueue competes
// with delivery for the two cores, as in use).
func BenchmarkReporterEnqueueLive(b *testing.B) {
	srv := analyticstest.NewServer(b)
	cfg := srv.Config()
	cfg.Logger = quiet
	c, err := analytics.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{MaxBytes: 1 << 40, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer closeNow(r) // the backlog is not the point: no waiting for it
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Event(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReporterQueuedHeap: the heap a queued event holds, with the
// service down: 100,000 events (the same Event value each time, so the
// caller's own allocations do not count) enqueued per iteration; the
// B/event metric is the live heap after a collection, divided by 100,000.
func BenchmarkReporterQueuedHeap(b *testing.B) {
	for _, mode := range []string{"memory", "durable"} {
		b.Run(mode, func(b *testing.B) {
			const n = 100_000
			var perEvent float64
			for b.Loop() {
				opts := parked(analytics.ReporterOptions{})
				if mode == "durable" {
					opts.Dir, opts.Sync = b.TempDir(), analytics.SyncPeriodic
				}
				before := liveHeap()
				r, err := analytics.NewReporter(downClient(b), opts)
				if err != nil {
					b.Fatal(err)
				}
				for range n {
					if err := r.Event(benchEvent); err != nil {
						b.Fatal(err)
					}
				}
				perEvent += float64(liveHeap()-before) / n
				runtime.KeepAlive(r)
				closeNow(r)
			}
			b.ReportMetric(perEvent/float64(b.N), "B/event")
		})
	}
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkReporterShareOfIngest compares, in one run, the service's
// batch-ingest ceiling ("ingest": 4 keep-alive mTLS clients POSTing
// batches of 64 events, as server's BenchmarkIngestBatch) with a Reporter
// delivering to the same kind of service ("reporter": memory mode, Event
// as fast as it takes them, until Flush sees all stored). The figure of
// merit is reporter events/s over ingest events/s.
func BenchmarkReporterShareOfIngest(b *testing.B) {
	b.Run("ingest", func(b *testing.B) { benchBatchIngest(b, false) })
	// The same batches with a key per command, as the Reporter sends
	// them: the service's ceiling for the Reporter's requests, since each
	// key is looked up and kept by the store.
	b.Run("ingest-keyed", func(b *testing.B) { benchBatchIngest(b, true) })
	b.Run("reporter", BenchmarkReporterEndToEnd)
}

// benchBatchIngest posts batches of 64 events from 4 concurrent clients,
// with an idempotency key per command when keyed, and reports events/s.
func benchBatchIngest(b *testing.B, keyed bool) {
	srv := analyticstest.NewServer(b)
	hc := mtlsClient(b, srv.Config())
	const size = 64
	requests := (b.N + size - 1) / size
	var next atomic.Int64
	body := func(n int64) []byte {
		items := make([]string, size)
		for i := range items {
			key := ""
			if keyed {
				key = fmt.Sprintf(`"key":"bench-%d-%d",`, n, i)
			}
			items[i] = `{"command":"event",` + key + `"payload":{"event":"puppetserver.cert.signed","metadata":{"ca":"puppet-ca","count":1}}}`
		}
		return []byte(`{"commands":[` + strings.Join(items, ",") + `]}`)
	}
	plain := body(0)
	url := srv.URL + "/commands/batch"
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(requests); n = next.Add(1) {
				data := plain
				if keyed {
					data = body(n)
				}
				resp, err := hc.Post(url, "application/json", bytes.NewReader(data))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(requests*size)/b.Elapsed().Seconds(), "events/s")
}

// mtlsClient is an HTTP client with the configuration's client
// certificate, keeping enough idle connections for 4 concurrent callers.
func mtlsClient(b *testing.B, cfg analytics.Config) *http.Client {
	cert, err := tls.LoadX509KeyPair(cfg.SSL.CertFile, cfg.SSL.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	ca, err := os.ReadFile(cfg.SSL.CAFile)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tr := &http.Transport{MaxIdleConnsPerHost: 8,
		TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
