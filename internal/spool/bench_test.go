package spool

import (
	"sync"
	"testing"
	"time"
)

// benchAppend runs b.N appends of 200-byte records from callers goroutines,
// acknowledging in batches as a reporter would after delivery, and reports
// records/s and records per fsync.
func benchAppend(b *testing.B, opts Options, callers int) {
	s, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	data := make([]byte, 200)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range callers {
		n := b.N / callers
		if c < b.N%callers {
			n++
		}
		wg.Go(func() {
			ids := make([]uint64, 0, 256)
			for range n {
				id, err := s.Append(data)
				if err != nil {
					b.Error(err)
					return
				}
				if ids = append(ids, id); len(ids) == cap(ids) {
					if err := s.Ack(ids...); err != nil {
						b.Error(err)
						return
					}
					ids = ids[:0]
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	if st.Syncs > 0 {
		b.ReportMetric(float64(st.Appends)/float64(st.Syncs), "records/fsync")
	}
}

// BenchmarkAppendSyncEach: 8 concurrent callers sharing fsyncs.
func BenchmarkAppendSyncEach(b *testing.B) {
	benchAppend(b, Options{Sync: SyncEach}, 8)
}

// BenchmarkAppendSyncEachSequential: one caller, one fsync per record.
func BenchmarkAppendSyncEachSequential(b *testing.B) {
	benchAppend(b, Options{Sync: SyncEach}, 1)
}

// BenchmarkAppendSyncPeriodic: 8 concurrent callers, fsync once a second.
func BenchmarkAppendSyncPeriodic(b *testing.B) {
	benchAppend(b, Options{Sync: SyncPeriodic}, 8)
}
