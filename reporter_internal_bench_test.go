package analytics

import (
	"context"
	"log/slog"
	"testing"
	"time"
)

// newIdleReporter returns a memory-mode reporter whose service is down and
// whose single worker waits an hour between attempts, so nothing consumes
// the queue but the benchmark itself (see drain).
func newIdleReporter(b *testing.B) *Reporter {
	c, err := New(Config{URL: "http://127.0.0.1:1/analytics", Logger: slog.New(slog.DiscardHandler)}) // nothing listens on port 1
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewReporter(c, ReporterOptions{Workers: 1, MaxBytes: 1 << 40,
		MaxBackoff: time.Hour, Backoff: func(int) time.Duration { return time.Hour }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ended, stop := context.WithCancel(context.Background())
		stop()
		r.Close(ended)
		c.Close()
	})
	return r
}

// drain completes everything queued, as instant delivery would. The
// benchmarks call it every 1024 events, inside the timing, so the queue
// and the heap stay small whatever b.N is and the cost of taking and
// completing items is counted too.
func drain(r *Reporter, ctx context.Context) {
	for p := r.q.take(ctx); p != nil; p = r.q.take(ctx) {
		r.q.done(p, "", false)
	}
}

func endedContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

var benchEvent = Event{Name: "puppetserver.cert.signed", Metadata: Fields{"ca": "puppet-ca", "count": 1}}

// BenchmarkReporterEnqueue: Event in memory mode, one caller.
func BenchmarkReporterEnqueue(b *testing.B) {
	r := newIdleReporter(b)
	ctx := endedContext()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := r.Event(benchEvent); err != nil {
			b.Fatal(err)
		}
		if i++; i%1024 == 0 {
			drain(r, ctx)
		}
	}
}

// BenchmarkReporterEnqueueParallel: Event in memory mode from GOMAXPROCS
// callers at once.
func BenchmarkReporterEnqueueParallel(b *testing.B) {
	r := newIdleReporter(b)
	ctx := endedContext()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := r.Event(benchEvent); err != nil {
				b.Fatal(err)
			}
			if i++; i%1024 == 0 {
				drain(r, ctx)
			}
		}
	})
}
