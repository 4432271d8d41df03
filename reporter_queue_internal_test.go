package analytics

import (
	"context"
	"testing"
	"time"
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
					q.done(p, "")
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
