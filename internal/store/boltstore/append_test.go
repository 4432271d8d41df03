package boltstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

func TestAppendKeepsOrderAndDeduplicates(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx := context.Background()
	if _, _, err := appendOne(s, ctx, store.Events, []byte("before"), "k-old", []byte("old reply")); err != nil {
		t.Fatal(err)
	}
	var recs []store.Record
	for i := range 50 {
		recs = append(recs, store.Record{Kind: store.Events, Data: []byte(fmt.Sprint("e", i)), Key: fmt.Sprint("k", i), Reply: []byte(fmt.Sprint("r", i))})
	}
	recs = append(recs,
		store.Record{Kind: store.Snapshots, Data: []byte("s0"), Key: "ks"},
		store.Record{Kind: store.Events, Data: []byte("repeat"), Key: "k3"},   // repeats an item of this call
		store.Record{Kind: store.Events, Data: []byte("again"), Key: "k-old"}, // repeats an earlier Append
		store.Record{Kind: store.Events, Data: []byte("long"), Key: strings.Repeat("x", store.MaxKeyLen+1)},
		store.Record{Kind: store.Kind(9), Data: []byte("unknown")},
		store.Record{Kind: store.Events, Data: []byte("no key")},
	)
	res := s.Append(ctx, recs)
	if len(res) != len(recs) {
		t.Fatalf("%d results for %d records", len(res), len(recs))
	}
	for i := range 50 {
		if res[i].Err != nil || res[i].Dup {
			t.Errorf("record %d: %+v", i, res[i])
		}
	}
	if r := res[51]; !r.Dup || string(r.Prior) != "r3" {
		t.Errorf("repeat within the call: %+v", r)
	}
	if r := res[52]; !r.Dup || string(r.Prior) != "old reply" {
		t.Errorf("repeat of an earlier append: %+v", r)
	}
	if !errors.Is(res[53].Err, store.ErrKeyTooLong) || !errors.Is(res[54].Err, store.ErrUnknownKind) || res[55].Err != nil {
		t.Errorf("refusals: %v / %v / %v", res[53].Err, res[54].Err, res[55].Err)
	}
	want := []string{"before"}
	for i := range 50 {
		want = append(want, fmt.Sprint("e", i))
	}
	want = append(want, "no key")
	if got := storetest.Datas(scanAll(t, s, store.Events, 0)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events in order:\n got %v\nwant %v", got, want)
	}
	if got := storetest.Datas(scanAll(t, s, store.Snapshots, 0)); fmt.Sprint(got) != "[s0]" {
		t.Errorf("snapshots = %v", got)
	}
}

func TestAppendOnClosedStoreOrCancelled(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte("x")}})
	if !errors.Is(res[0].Err, context.Canceled) {
		t.Errorf("cancelled: %v", res[0].Err)
	}
	s.Close()
	res = s.Append(context.Background(), []store.Record{{Kind: store.Events, Data: []byte("x")}})
	if !errors.Is(res[0].Err, store.ErrClosed) {
		t.Errorf("closed: %v", res[0].Err)
	}
}
