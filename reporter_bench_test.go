package analytics_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// quiet discards the log lines of benchmarks that provoke them on purpose.
var quiet = slog.New(slog.DiscardHandler)

// benchEvent is what a hot path typically reports.
var benchEvent = analytics.Event{Name: "puppetserver.cert.signed", Metadata: analytics.Fields{"ca": "puppet-ca", "count": 1}}

// BenchmarkReporterDurableEnqueue: Event in durable mode with a sync per
// enqueue, from 8 concurrent callers; every returned Event is on disk.
func BenchmarkReporterDurableEnqueue(b *testing.B) {
	c, err := analytics.New(analytics.Config{URL: "http://127.0.0.1:1/analytics", Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{Dir: b.TempDir(), MaxBytes: 1 << 40, Workers: 1,
		MaxBackoff: time.Hour, Backoff: func(int) time.Duration { return time.Hour }})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r.Close(ctx)
	}()
	b.ReportAllocs()
	b.ResetTimer()
	runConcurrently(b, 8, func() {
		if err := r.Event(benchEvent); err != nil {
			b.Error(err)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReporterEndToEnd: events enqueued as fast as the queue takes
// them and delivered by 4 workers over mTLS to the real service with its
// durable store; the clock stops when Flush has seen every one stored.
func BenchmarkReporterEndToEnd(b *testing.B) {
	srv := analyticstest.NewServer(b)
	cfg := srv.Config()
	cfg.Logger = quiet
	c, err := analytics.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r, err := analytics.NewReporter(c, analytics.ReporterOptions{MaxBytes: 1 << 40, Workers: 4})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	// A plain b.N loop, not b.Loop: the Flush after it must be timed too.
	for i := 0; i < b.N; i++ {
		if err := r.Event(benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if st := r.Stats(); st.Sent != st.Enqueued || st.QueueDepth != 0 {
		b.Fatalf("stats = %+v", st)
	}
}

// runConcurrently splits b.N calls of fn over n goroutines.
func runConcurrently(b *testing.B, n int, fn func()) {
	var wg sync.WaitGroup
	per := b.N / n
	for g := range n {
		count := per
		if g == 0 {
			count += b.N % n
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range count {
				fn()
			}
		}()
	}
	wg.Wait()
}
