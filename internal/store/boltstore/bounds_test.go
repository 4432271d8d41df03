package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// TestKeyIndexBoundedUnderBatches sends batch after batch of fresh keys
// while time passes: the keys kept must stay near what one retention
// holds, on the batch path and on the single path alike.
func TestKeyIndexBoundedUnderBatches(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := openTest(t, clock.Options(store.Options{Retention: time.Hour}))
	ctx := context.Background()
	const batches, size = 100, 64
	const step = 10 * time.Minute // a key lives through 6 batches
	live := int(time.Hour/step) + 1
	most := 0
	for b := range batches {
		recs := make([]store.Record, size)
		for i := range recs {
			recs[i] = store.Record{Kind: store.Events, Key: fmt.Sprintf("b%d-%d", b, i), Sum: []byte("s"), Reply: []byte("r")}
		}
		storetest.MustOK(t, s.Append(ctx, recs))
		if _, _, err := appendOne(s, ctx, store.Snapshots, nil, fmt.Sprint("single", b), nil); err != nil {
			t.Fatal(err)
		}
		k, i := keyCount(t, s)
		if k != i {
			t.Fatalf("batch %d: %d keys but %d index entries", b, k, i)
		}
		most = max(most, k)
		clock.Advance(step)
	}
	if limit := live*(size+1) + store.PrunePerCommit; most > limit {
		t.Errorf("kept up to %d keys, more than %d (%d batches of %d live keys)", most, limit, live, size+1)
	}
	t.Logf("kept at most %d keys after %d keys added", most, batches*(size+1))
}

// TestExpiredKeyMayBeReused: once a key has expired it is a new key, even
// with another request; nothing of the old one stays in the way.
func TestExpiredKeyMayBeReused(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := openTest(t, clock.Options(store.Options{Retention: time.Hour}))
	ctx := context.Background()
	storetest.MustOK(t, s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte("a"), Key: "k", Sum: []byte("1"), Reply: []byte("r1")}}))
	clock.Advance(time.Hour)
	storetest.MustOK(t, s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte("b"), Key: "k", Sum: []byte("2"), Reply: []byte("r2")}}))
	if r := s.Append(ctx, []store.Record{{Kind: store.Events, Key: "k", Sum: []byte("2")}})[0]; !r.Dup || string(r.Prior) != "r2" {
		t.Errorf("after reuse: %+v", r)
	}
	if k, i := keyCount(t, s); k != 1 || i != 1 {
		t.Errorf("%d keys, %d index entries, want 1, 1", k, i)
	}
}

func TestSumTooLong(t *testing.T) {
	s := openTest(t, store.Options{})
	r := s.Append(context.Background(), []store.Record{{Kind: store.Events, Data: []byte("x"), Key: "k", Sum: make([]byte, store.MaxSumLen+1)}})[0]
	if !errors.Is(r.Err, store.ErrSumTooLong) {
		t.Errorf("long sum: %+v", r)
	}
}

// TestMaxBytes fills a small store: appends fail with ErrFull, nothing
// stored is dropped, and deleting entries makes room again.
func TestMaxBytes(t *testing.T) {
	const limit = 256 << 10
	s := openTest(t, store.Options{MaxBytes: limit})
	ctx := context.Background()
	entry := bytes.Repeat([]byte("x"), 1000)
	stored := 0
	for range 10 * limit / len(entry) {
		r := s.Append(ctx, []store.Record{{Kind: store.Events, Data: entry, Key: fmt.Sprint("k", stored), Sum: []byte("s")}})[0]
		if errors.Is(r.Err, store.ErrFull) {
			break
		}
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		stored++
	}
	if stored == 0 || stored >= 10*limit/len(entry) {
		t.Fatalf("stored %d entries of %d bytes under a limit of %d", stored, len(entry), limit)
	}
	st, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.UsedBytes > limit || st.Events != stored {
		t.Errorf("stats %+v after %d stored, limit %d", st, stored, limit)
	}
	// A refused record remembered nothing: its key is free.
	if r := s.Append(ctx, []store.Record{{Kind: store.Events, Key: fmt.Sprint("k", stored), Sum: []byte("other")}})[0]; r.Err != nil || r.Dup {
		t.Errorf("key of the refused record: %+v", r)
	}
	if err := s.DeleteThrough(ctx, store.Events, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	for i := range stored / 2 {
		if r := s.Append(ctx, []store.Record{{Kind: store.Events, Data: entry}})[0]; r.Err != nil {
			t.Fatalf("append %d after deleting: %v", i, r.Err)
		}
	}
}

// TestCommitHookSeesSyncBeforeReturn: every Append returns only after a
// commit that bbolt synced. Opening bbolt with NoSync fails it.
func TestCommitHookSeesSyncBeforeReturn(t *testing.T) {
	var synced, unsynced atomic.Int64
	s := openTest(t, store.Options{OnCommit: func(c store.CommitInfo) {
		if c.Synced {
			synced.Add(1)
		} else {
			unsynced.Add(1)
		}
	}})
	ctx := context.Background()
	for i := range 3 {
		before := synced.Load()
		storetest.MustOK(t, s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte("x"), Key: fmt.Sprint(i)}}))
		if synced.Load() == before {
			t.Fatalf("append %d returned before a synced commit", i)
		}
	}
	if unsynced.Load() != 0 {
		t.Errorf("%d commits were not synced", unsynced.Load())
	}
}
