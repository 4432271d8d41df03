package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newContractStore opens an empty store with opts (Now, Retention,
// MaxBytes, OnCommit and scanPage). A backend's tests call runContract with
// one of these.
type newContractStore func(t *testing.T, opts Options) Store

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
		{"ScanPages", contractScanPages},
		{"ConcurrentAppends", contractConcurrent},
		{"MaxBytes", contractMaxBytes},
		{"CommitBeforeReturn", contractCommitBeforeReturn},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func TestBoltContract(t *testing.T) {
	runContract(t, func(t *testing.T, opts Options) Store {
		s, err := Open(filepath.Join(t.TempDir(), "analytics.db"), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// contractOptions are the options of most contract tests.
func contractOptions(clock func() time.Time) Options {
	return Options{Now: clock, Retention: 24 * time.Hour}
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
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
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
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
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
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
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
	s, ctx := open(t, contractOptions(clock.Now)), context.Background()
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
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
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
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
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

func contractScanPages(t *testing.T, open newContractStore) {
	o := contractOptions(time.Now)
	o.scanPage = 3
	s, ctx := open(t, o), context.Background()
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprint("e", i))
		mustOK(t, s.Append(ctx, []Record{rec(Events, want[i], "", "", "")}))
	}
	// A writer during the scan: entries land after the page being read.
	var got []string
	err := s.Scan(ctx, Events, 0, func(e Entry) error {
		got = append(got, string(e.Data))
		if len(got) == 4 {
			mustOK(t, s.Append(ctx, []Record{rec(Events, "late", "", "", "")}))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if w := fmt.Sprint(append(want, "late")); fmt.Sprint(got) != w {
		t.Errorf("scanned %v, want %s", got, w)
	}
	stop := errors.New("stop")
	if err := s.Scan(ctx, Events, 0, func(Entry) error { return stop }); err != stop {
		t.Errorf("an error from fn: got %v", err)
	}
}

func contractConcurrent(t *testing.T, open newContractStore) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	const writers, each = 8, 30
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				// Writers race on shared keys: one of each pair stores.
				key := fmt.Sprintf("k%d-%d", w/2, i)
				r := s.Append(ctx, []Record{rec(Events, fmt.Sprintf("%d-%d", w, i), key, "same", "r")})[0]
				if r.Err != nil {
					errs <- r.Err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ev := contractScan(t, s, Events, 0)
	if len(ev) != writers/2*each {
		t.Fatalf("%d entries stored, want %d (one per key)", len(ev), writers/2*each)
	}
	checkIncreasing(t, ev)
}

func contractMaxBytes(t *testing.T, open newContractStore) {
	const limit = 64 << 10
	o := contractOptions(time.Now)
	o.MaxBytes = limit
	s, ctx := open(t, o), context.Background()
	entry := strings.Repeat("x", 1000)
	stored := 0
	for range 10 * limit / len(entry) {
		r := s.Append(ctx, []Record{rec(Events, entry, fmt.Sprint("k", stored), "s", "")})[0]
		if errors.Is(r.Err, ErrFull) {
			break
		}
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		stored++
	}
	if stored == 0 || stored >= limit/len(entry) {
		t.Fatalf("stored %d entries of %d bytes under a limit of %d", stored, len(entry), limit)
	}
	if r := s.Append(ctx, []Record{rec(Events, "", fmt.Sprint("k", stored), "other", "")})[0]; r.Err != nil || r.Dup {
		t.Errorf("the refused record's key was remembered: %+v", r)
	}
	if err := s.DeleteThrough(ctx, Events, ^uint64(0)>>1); err != nil {
		t.Fatal(err)
	}
	for i := range stored / 2 {
		if r := s.Append(ctx, []Record{rec(Events, entry, "", "", "")})[0]; r.Err != nil {
			t.Fatalf("append %d after deleting: %v", i, r.Err)
		}
	}
}

// contractCommitBeforeReturn: every Append returns only after a commit that
// reached stable storage, as the commit hook reports it.
func contractCommitBeforeReturn(t *testing.T, open newContractStore) {
	var commits, unsynced atomic.Int64
	o := contractOptions(time.Now)
	o.OnCommit = func(ci CommitInfo) {
		commits.Add(1)
		if !ci.Synced {
			unsynced.Add(1)
		}
	}
	s, ctx := open(t, o), context.Background()
	for i := range 5 {
		before := commits.Load()
		mustOK(t, s.Append(ctx, []Record{rec(Events, fmt.Sprint(i), "", "", "")}))
		if commits.Load() == before {
			t.Fatalf("append %d returned before its commit", i)
		}
	}
	if unsynced.Load() > 0 {
		t.Errorf("%d commits did not reach stable storage", unsynced.Load())
	}
}
