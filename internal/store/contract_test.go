package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// newContractStore opens an empty store whose idempotency keys age by
// clock. A backend's tests call runContract with one of these.
type newContractStore func(t *testing.T, clock func() time.Time) Store

// runContract holds a Store implementation to the contract documented on
// Store. It needs nothing from the backend but the constructor.
func runContract(t *testing.T, open newContractStore) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, newContractStore)
	}{
		{"OrderAcrossCalls", contractOrder},
		{"KeyRepeatSameSum", contractKeyRepeat},
		{"KeyReusedOtherSum", contractKeyReused},
		{"KeyRetention", contractKeyRetention},
		{"DeleteThrough", contractDeleteThrough},
		{"Closed", contractClosed},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func TestBoltContract(t *testing.T) {
	runContract(t, func(t *testing.T, clock func() time.Time) Store {
		s, err := Open(filepath.Join(t.TempDir(), "analytics.db"), Options{Now: clock, Retention: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func contractScan(t *testing.T, s Store, kind Kind, after uint64) []Entry {
	t.Helper()
	var got []Entry
	if err := s.Scan(context.Background(), kind, after, func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func rec(kind Kind, data, key, sum, reply string) Record {
	r := Record{Kind: kind, Key: key, Sum: []byte(sum), Reply: []byte(reply)}
	if data != "" {
		r.Data = []byte(data)
	}
	return r
}

func mustOK(t *testing.T, res []Result) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil || r.Dup {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

func contractOrder(t *testing.T, open newContractStore) {
	s, ctx := open(t, time.Now), context.Background()
	mustOK(t, s.Append(ctx, []Record{rec(Events, "a", "", "", ""), rec(Snapshots, "s", "", "", ""), rec(Events, "b", "", "", "")}))
	mustOK(t, s.Append(ctx, []Record{rec(Events, "c", "", "", "")}))
	ev := contractScan(t, s, Events, 0)
	if got := fmt.Sprint(datas(ev)); got != "[a b c]" {
		t.Fatalf("events = %s", got)
	}
	checkIncreasing(t, ev)
	if got := fmt.Sprint(datas(contractScan(t, s, Events, ev[0].Seq))); got != "[b c]" {
		t.Errorf("events after the first = %s", got)
	}
	if got := fmt.Sprint(datas(contractScan(t, s, Snapshots, 0))); got != "[s]" {
		t.Errorf("snapshots = %s", got)
	}
}

func contractKeyRepeat(t *testing.T, open newContractStore) {
	s, ctx := open(t, time.Now), context.Background()
	mustOK(t, s.Append(ctx, []Record{rec(Events, "one", "k", "sum", "reply1")}))
	res := s.Append(ctx, []Record{rec(Events, "two", "k", "sum", "reply2"), rec(Events, "x", "j", "s", "rj"), rec(Events, "y", "j", "s", "rj2")})
	if r := res[0]; !r.Dup || r.Err != nil || string(r.Prior) != "reply1" {
		t.Errorf("repeat of an earlier call: %+v", r)
	}
	if r := res[2]; !r.Dup || r.Err != nil || string(r.Prior) != "rj" {
		t.Errorf("repeat within the call: %+v", r)
	}
	if got := fmt.Sprint(datas(contractScan(t, s, Events, 0))); got != "[one x]" {
		t.Errorf("events = %s", got)
	}
}

func contractKeyReused(t *testing.T, open newContractStore) {
	s, ctx := open(t, time.Now), context.Background()
	mustOK(t, s.Append(ctx, []Record{rec(Events, "one", "k", "sum1", "reply1")}))
	res := s.Append(ctx, []Record{
		rec(Events, "two", "k", "sum2", "reply2"),
		rec(Events, "x", "j", "s1", "rj"), rec(Snapshots, "y", "j", "s2", "rj2"),
		rec(Events, "", "n", "s1", "rn"), rec(Events, "z", "n", "s2", "rn2"),
	})
	for _, i := range []int{0, 2, 4} {
		if r := res[i]; !errors.Is(r.Err, ErrKeyReused) || r.Dup {
			t.Errorf("record %d: %+v, want ErrKeyReused", i, r)
		}
	}
	if got := fmt.Sprint(datas(contractScan(t, s, Events, 0))); got != "[one x]" {
		t.Errorf("events = %s", got)
	}
	if n := len(contractScan(t, s, Snapshots, 0)); n != 0 {
		t.Errorf("%d snapshots stored", n)
	}
	// The first request still gets its answer.
	if r := s.Append(ctx, []Record{rec(Events, "one", "k", "sum1", "")})[0]; !r.Dup || string(r.Prior) != "reply1" {
		t.Errorf("first request repeated: %+v", r)
	}
}

func contractKeyRetention(t *testing.T, open newContractStore) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, ctx := open(t, clock.Now), context.Background()
	mustOK(t, s.Append(ctx, []Record{rec(Events, "a", "k", "s", "r")}))
	clock.Advance(24*time.Hour - time.Second)
	if r := s.Append(ctx, []Record{rec(Events, "a", "k", "s", "r2")})[0]; !r.Dup || string(r.Prior) != "r" {
		t.Fatalf("within 24 h: %+v", r)
	}
	if r := s.Append(ctx, []Record{rec(Events, "b", "k", "other", "r2")})[0]; !errors.Is(r.Err, ErrKeyReused) {
		t.Fatalf("reused within 24 h: %+v", r)
	}
}

func contractDeleteThrough(t *testing.T, open newContractStore) {
	s, ctx := open(t, time.Now), context.Background()
	for i := range 5 {
		mustOK(t, s.Append(ctx, []Record{rec(Events, fmt.Sprint("e", i), "", "", "")}))
	}
	ev := contractScan(t, s, Events, 0)
	if err := s.DeleteThrough(ctx, Events, ev[2].Seq); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(datas(contractScan(t, s, Events, 0))); got != "[e3 e4]" {
		t.Errorf("after delete = %s", got)
	}
	mustOK(t, s.Append(ctx, []Record{rec(Events, "e5", "", "", "")}))
	if got := contractScan(t, s, Events, 0); got[2].Seq <= ev[4].Seq {
		t.Errorf("sequence number reused: %+v", got)
	}
}

func contractClosed(t *testing.T, open newContractStore) {
	s, ctx := open(t, time.Now), context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := s.Append(ctx, []Record{rec(Events, "x", "", "", "")})[0]; !errors.Is(r.Err, ErrClosed) {
		t.Errorf("Append: %+v", r)
	}
	if err := s.Scan(ctx, Events, 0, func(Entry) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Scan: %v", err)
	}
	if err := s.DeleteThrough(ctx, Events, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("DeleteThrough: %v", err)
	}
}
