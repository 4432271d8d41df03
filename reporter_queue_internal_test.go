package analytics

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

// A batch stops at maxBatch items or maxBatchBytes, whichever comes first,
// and an item larger than the byte bound goes alone rather than never.
func TestTakeMoreBoundsBatch(t *testing.T) {
	for _, tc := range []struct {
		name        string
		sizes       []int64
		max         int
		maxBytes    int64
		wantBatches []int
	}{
		{"items", []int64{10, 10, 10, 10, 10}, 2, 1000, []int{2, 2, 1}},
		{"bytes", []int64{100, 100, 100, 100, 100}, 10, 250, []int{2, 2, 1}},
		{"one too large", []int64{500, 100, 100}, 10, 250, []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q queue
			q.init(1<<40, time.Now)
			for _, s := range tc.sizes {
				if err := q.push(item{kind: KindEvent, size: s}); err != nil {
					t.Fatal(err)
				}
			}
			var got []int
			for q.pendingCount() > len(q.inflight) {
				batch := q.takeMore([]*item{q.take(context.Background())}, tc.max, tc.maxBytes)
				got = append(got, len(batch))
				for _, p := range batch {
					q.done(p, "", false)
				}
			}
			if len(got) != len(tc.wantBatches) {
				t.Fatalf("batches %v, want %v", got, tc.wantBatches)
			}
			for i := range got {
				if got[i] != tc.wantBatches[i] {
					t.Fatalf("batches %v, want %v", got, tc.wantBatches)
				}
			}
		})
	}
}

// TestFIFO checks the chunked FIFO against a plain slice through pushes
// and pops across chunk boundaries, and countUpTo against a count.
func TestFIFO(t *testing.T) {
	var f fifo
	var want []*item
	seq := uint64(0)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 1500 {
		if n := rng.IntN(3 * fifoChunk); step%2 == 0 {
			for range n {
				seq++
				want = append(want, f.push(&item{seq: seq}))
			}
		} else {
			for range min(n, len(want)) {
				if got := f.pop(); got != want[0] {
					t.Fatalf("step %d: pop = %v, want seq %d", step, got, want[0].seq)
				}
				want = want[1:]
			}
		}
		if f.len() != len(want) || (len(want) > 0 && f.peek() != want[0]) {
			t.Fatalf("step %d: len %d, want %d", step, f.len(), len(want))
		}
		for _, target := range []uint64{0, seq / 2, seq - uint64(rng.IntN(fifoChunk+1)), seq, seq + 1} {
			n := 0
			for _, p := range want {
				if p.seq <= target {
					n++
				}
			}
			if got := f.countUpTo(target); got != n {
				t.Fatalf("step %d: countUpTo(%d) = %d, want %d", step, target, got, n)
			}
		}
		if step%100 == 0 {
			all := f.appendAll(nil)
			if len(all) != len(want) || (len(all) > 0 && (all[0] != want[0] || all[len(all)-1] != want[len(want)-1])) {
				t.Fatalf("step %d: appendAll gives %d items, want %d", step, len(all), len(want))
			}
		}
	}
}

// Every queued item costs one item: it must stay in the 112-byte size
// class (see item).
func TestItemSize(t *testing.T) {
	if n := unsafe.Sizeof(item{}); n > 112 {
		t.Errorf("item is %d bytes, want at most 112", n)
	}
}
