package boltstore

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// TestKeyRoomBounded: keys within their retention but past MaxKeyBytes
// are forgotten oldest first, so their room stays bounded while entries
// are still taken; the newest keys still answer repeats.
func TestKeyRoomBounded(t *testing.T) {
	const keyRoom = 32 << 10
	s := openTest(t, store.Options{MaxBytes: 1 << 20, MaxKeyBytes: keyRoom})
	ctx := context.Background()
	for b := range 50 {
		recs := make([]store.Record, 20)
		for i := range recs {
			recs[i] = storetest.Rec(store.Events, `{"e":1}`, fmt.Sprintf("request-%d-%d", b, i), "sum", `{"reply":"stored"}`)
		}
		storetest.MustOK(t, s.Append(ctx, recs))
		var used int64
		_ = s.db.View(func(tx *bolt.Tx) error {
			used, _ = metaInt(tx, metaKeyBytes)
			if actual := keysRoom(tx); actual != used {
				t.Errorf("batch %d: key room counted %d, the keys take %d", b, used, actual)
			}
			return nil
		})
		if used > keyRoom {
			t.Fatalf("batch %d: keys take %d bytes, over their room of %d", b, used, keyRoom)
		}
	}
	if n := count(t, s, store.Events); n != 1000 {
		t.Errorf("%d entries stored, want 1000", n)
	}
	keys, index := keyCount(t, s)
	if keys != index || keys >= 1000 || keys < 100 {
		t.Errorf("%d keys, %d index entries kept of 1000", keys, index)
	}
	if r := s.Append(ctx, []store.Record{storetest.Rec(store.Events, `{"e":1}`, "request-49-19", "sum", "")})[0]; !r.Dup {
		t.Errorf("the newest key was forgotten: %+v", r)
	}
}
