package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/store"
)

// BenchmarkCommitLatency measures how long one Append of one event takes
// (a lone writer: every Append is its own group commit), on the bbolt file
// directly and behind its write-ahead log, and beside it, in the same
// directory and interleaved with the appends, the disk's own latency for
// the cheapest durable write: rewriting a 4 KiB block of an existing file
// and fdatasync. It reports the p50 and p99 of both and p50 commit /
// p50 fdatasync (the log's goal: at most 1.5).
func BenchmarkCommitLatency(b *testing.B) {
	for _, engine := range []string{"bolt", "logged"} {
		b.Run(engine, func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, FileName)
			var st store.Store
			var err error
			if engine == "bolt" {
				st, err = Open(path, store.Options{})
			} else {
				st, err = OpenLogged(path, store.Options{}, LogOptions{})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			probe := newSyncProbe(b, dir)
			defer probe.Close()
			commits := make([]time.Duration, 0, b.N)
			syncs := make([]time.Duration, 0, b.N)
			recs := []store.Record{{Kind: store.Events, Data: []byte(`{"event":"puppetserver.bench.event","metadata":{"run":1337}}`)}}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if err := st.Append(ctx, recs)[0].Err; err != nil {
					b.Fatal(err)
				}
				commits = append(commits, time.Since(start))
				syncs = append(syncs, probe.rewrite(b))
			}
			b.StopTimer()
			c50, c99 := percentiles(commits)
			s50, s99 := percentiles(syncs)
			b.ReportMetric(float64(c50.Microseconds()), "p50-commit-µs")
			b.ReportMetric(float64(c99.Microseconds()), "p99-commit-µs")
			b.ReportMetric(float64(s50.Microseconds()), "p50-fdatasync-µs")
			b.ReportMetric(float64(s99.Microseconds()), "p99-fdatasync-µs")
			b.ReportMetric(float64(c50)/float64(max(s50, 1)), "commit/fdatasync")
		})
	}
}

// syncProbe rewrites one block of a file and syncs it, through the log's
// own file seam (fdatasync on Linux).
type syncProbe struct {
	logfs.File
	block []byte
}

func newSyncProbe(b *testing.B, dir string) *syncProbe {
	f, err := logfs.Dir(dir).Create("sync-probe")
	if err != nil {
		b.Fatal(err)
	}
	p := &syncProbe{File: f, block: make([]byte, 4096)}
	if _, err := f.WriteAt(p.block, 0); err != nil {
		b.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
	return p
}

// rewrite overwrites the block and syncs it, and returns how long that took.
func (p *syncProbe) rewrite(b *testing.B) time.Duration {
	p.block[0]++
	start := time.Now()
	if _, err := p.WriteAt(p.block, 0); err != nil {
		b.Fatal(err)
	}
	if err := p.Sync(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// percentiles returns the p50 and p99 of ds (which it sorts).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return ds[len(ds)/2], ds[min(len(ds)-1, len(ds)*99/100)]
}

// BenchmarkLoggedConcurrentAppends measures 8 writers appending one event
// at a time to the logged store, each waiting for its answer: entries/s,
// and how many calls a group commit carries (the committer waits, at most
// one commit's time, for the callers of the previous group to come back).
func BenchmarkLoggedConcurrentAppends(b *testing.B) {
	var commits, calls atomic.Int64
	var took atomic.Int64
	st, err := OpenLogged(filepath.Join(b.TempDir(), FileName), store.Options{OnCommit: func(ci store.CommitInfo) {
		commits.Add(1)
		calls.Add(int64(ci.Calls))
		took.Add(int64(ci.Took))
	}}, LogOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	recs := []store.Record{{Kind: store.Events, Data: []byte(`{"event":"puppetserver.bench.event","metadata":{"run":1337}}`)}}
	var n atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n.Add(1) <= int64(b.N) {
				st.Append(context.Background(), recs)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.ReportMetric(float64(b.N)/el.Seconds(), "entries/s")
	b.ReportMetric(float64(calls.Load())/float64(commits.Load()), "calls/commit")
	b.ReportMetric(float64(took.Load())/float64(commits.Load())/1000, "µs/commit")
}
