// Package storetest holds a store.Store implementation to the contract
// documented on store.Store, as tests that need nothing from the engine but
// a constructor: each engine's tests call Run. It also has the small
// helpers those tests share.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
)

// Opener opens an empty store with opts (Now, Retention, MaxBytes,
// OnCommit and ScanPage), which the test closes (or Cleanup does).
type Opener func(t *testing.T, opts store.Options) store.Store

// Run holds the store that open makes to the store.Store contract, one
// subtest per clause.
func Run(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Opener)
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
		{"Counts", contractCounts},
		{"RoomAfterCheckIns", contractRoomAfterCheckIns},
		{"Newest", contractNewest},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// contractOptions are the options of most contract tests.
func contractOptions(clock func() time.Time) store.Options {
	return store.Options{Now: clock, Retention: 24 * time.Hour}
}

// clockOptions are contractOptions on a Clock.
func clockOptions(clock *Clock) store.Options {
	return clock.Options(store.Options{Retention: 24 * time.Hour})
}

// ScanAll returns the entries of kind after after.
func ScanAll(t testing.TB, s store.Store, kind store.Kind, after uint64) []store.Entry {
	t.Helper()
	var got []store.Entry
	if err := s.Scan(context.Background(), kind, after, func(e store.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// Rec is a Record of strings; "" data is no entry (a key alone).
func Rec(kind store.Kind, data, key, sum, reply string) store.Record {
	r := store.Record{Kind: kind, Key: key, Sum: []byte(sum), Reply: []byte(reply)}
	if data != "" {
		r.Data = []byte(data)
	}
	return r
}

// MustOK fails the test unless every result stored its record.
func MustOK(t testing.TB, res []store.Result) {
	t.Helper()
	for i, r := range res {
		if r.Err != nil || r.Dup {
			t.Fatalf("record %d: %+v", i, r)
		}
	}
}

// Datas is the entries' data as strings.
func Datas(es []store.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = string(e.Data)
	}
	return out
}

// CheckIncreasing fails the test unless the entries' Seq increase.
func CheckIncreasing(t testing.TB, es []store.Entry) {
	t.Helper()
	for i := 1; i < len(es); i++ {
		if es[i].Seq <= es[i-1].Seq {
			t.Fatalf("entry %d has seq %d after %d", i, es[i].Seq, es[i-1].Seq)
		}
	}
}

// Clock is a clock tests move by hand: a wall clock and the monotonic
// clock beside it (Options.Now and Options.Elapsed).
type Clock struct {
	mu sync.Mutex
	t  time.Time
	d  time.Duration
}

// NewClock returns a Clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time, for Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Elapsed is the monotonic clock, for Options.Elapsed.
func (c *Clock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.d
}

// Advance lets d pass: both clocks move by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.d += d
}

// Step sets the wall clock by d (negative: back) without time passing, as
// an operator or NTP stepping a wrong clock does.
func (c *Clock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options returns opts with the clock as its Now and Elapsed.
func (c *Clock) Options(opts store.Options) store.Options {
	opts.Now, opts.Elapsed = c.Now, c.Elapsed
	return opts
}

// WantCounts fails the test unless s counts events and snapshots, and
// returns the room it reports in use.
func WantCounts(t testing.TB, s store.Store, events, snapshots int) int64 {
	t.Helper()
	ctx := context.Background()
	for _, c := range []struct {
		kind store.Kind
		want int
	}{{store.Events, events}, {store.Snapshots, snapshots}} {
		n, err := s.Count(ctx, c.kind)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.want {
			t.Errorf("Count(%s) = %d, want %d", c.kind.Collection(), n, c.want)
		}
		if got := len(ScanAll(t, s, c.kind, 0)); got != c.want {
			t.Fatalf("%d %s stored, want %d", got, c.kind.Collection(), c.want)
		}
	}
	used, err := s.UsedBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return used
}

func contractOrder(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "a", "", "", ""), Rec(store.Snapshots, "s", "", "", ""), Rec(store.Events, "b", "", "", "")}))
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "c", "", "", "")}))
	ev := ScanAll(t, s, store.Events, 0)
	if got := fmt.Sprint(Datas(ev)); got != "[a b c]" {
		t.Fatalf("events = %s", got)
	}
	CheckIncreasing(t, ev)
	if got := fmt.Sprint(Datas(ScanAll(t, s, store.Events, ev[0].Seq))); got != "[b c]" {
		t.Errorf("events after the first = %s", got)
	}
	if got := fmt.Sprint(Datas(ScanAll(t, s, store.Snapshots, 0))); got != "[s]" {
		t.Errorf("snapshots = %s", got)
	}
}

func contractKeyRepeat(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "one", "k", "sum", "reply1")}))
	res := s.Append(ctx, []store.Record{Rec(store.Events, "two", "k", "sum", "reply2"), Rec(store.Events, "x", "j", "s", "rj"), Rec(store.Events, "y", "j", "s", "rj2")})
	if r := res[0]; !r.Dup || r.Err != nil || string(r.Prior) != "reply1" {
		t.Errorf("repeat of an earlier call: %+v", r)
	}
	if r := res[2]; !r.Dup || r.Err != nil || string(r.Prior) != "rj" {
		t.Errorf("repeat within the call: %+v", r)
	}
	if got := fmt.Sprint(Datas(ScanAll(t, s, store.Events, 0))); got != "[one x]" {
		t.Errorf("events = %s", got)
	}
}

func contractKeyReused(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "one", "k", "sum1", "reply1")}))
	res := s.Append(ctx, []store.Record{
		Rec(store.Events, "two", "k", "sum2", "reply2"),
		Rec(store.Events, "x", "j", "s1", "rj"), Rec(store.Snapshots, "y", "j", "s2", "rj2"),
		Rec(store.Events, "", "n", "s1", "rn"), Rec(store.Events, "z", "n", "s2", "rn2"),
	})
	for _, i := range []int{0, 2, 4} {
		if r := res[i]; !errors.Is(r.Err, store.ErrKeyReused) || r.Dup {
			t.Errorf("record %d: %+v, want ErrKeyReused", i, r)
		}
	}
	if got := fmt.Sprint(Datas(ScanAll(t, s, store.Events, 0))); got != "[one x]" {
		t.Errorf("events = %s", got)
	}
	if n := len(ScanAll(t, s, store.Snapshots, 0)); n != 0 {
		t.Errorf("%d snapshots stored", n)
	}
	// The first request still gets its answer.
	if r := s.Append(ctx, []store.Record{Rec(store.Events, "one", "k", "sum1", "")})[0]; !r.Dup || string(r.Prior) != "reply1" {
		t.Errorf("first request repeated: %+v", r)
	}
}

func contractKeyRetention(t *testing.T, open Opener) {
	clock := NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s, ctx := open(t, clockOptions(clock)), context.Background()
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "a", "k", "s", "r")}))
	clock.Advance(24*time.Hour - time.Second)
	if r := s.Append(ctx, []store.Record{Rec(store.Events, "a", "k", "s", "r2")})[0]; !r.Dup || string(r.Prior) != "r" {
		t.Fatalf("within 24 h: %+v", r)
	}
	if r := s.Append(ctx, []store.Record{Rec(store.Events, "b", "k", "other", "r2")})[0]; !errors.Is(r.Err, store.ErrKeyReused) {
		t.Fatalf("reused within 24 h: %+v", r)
	}
}

func contractDeleteThrough(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	for i := range 5 {
		MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, fmt.Sprint("e", i), "", "", "")}))
	}
	ev := ScanAll(t, s, store.Events, 0)
	if err := s.DeleteThrough(ctx, store.Events, ev[2].Seq); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(Datas(ScanAll(t, s, store.Events, 0))); got != "[e3 e4]" {
		t.Errorf("after delete = %s", got)
	}
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "e5", "", "", "")}))
	if got := ScanAll(t, s, store.Events, 0); got[2].Seq <= ev[4].Seq {
		t.Errorf("sequence number reused: %+v", got)
	}
}

func contractClosed(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := s.Append(ctx, []store.Record{Rec(store.Events, "x", "", "", "")})[0]; !errors.Is(r.Err, store.ErrClosed) {
		t.Errorf("Append: %+v", r)
	}
	if err := s.Scan(ctx, store.Events, 0, func(store.Entry) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Scan: %v", err)
	}
	if err := s.DeleteThrough(ctx, store.Events, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("DeleteThrough: %v", err)
	}
}

func contractScanPages(t *testing.T, open Opener) {
	o := contractOptions(time.Now)
	o.ScanPage = 3
	s, ctx := open(t, o), context.Background()
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprint("e", i))
		MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, want[i], "", "", "")}))
	}
	// A writer during the scan: entries land after the page being read.
	var got []string
	err := s.Scan(ctx, store.Events, 0, func(e store.Entry) error {
		got = append(got, string(e.Data))
		if len(got) == 4 {
			MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "late", "", "", "")}))
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
	if err := s.Scan(ctx, store.Events, 0, func(store.Entry) error { return stop }); err != stop {
		t.Errorf("an error from fn: got %v", err)
	}
}

func contractConcurrent(t *testing.T, open Opener) {
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
				r := s.Append(ctx, []store.Record{Rec(store.Events, fmt.Sprintf("%d-%d", w, i), key, "same", "r")})[0]
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
	ev := ScanAll(t, s, store.Events, 0)
	if len(ev) != writers/2*each {
		t.Fatalf("%d entries stored, want %d (one per key)", len(ev), writers/2*each)
	}
	CheckIncreasing(t, ev)
}

func contractMaxBytes(t *testing.T, open Opener) {
	const limit = 64 << 10
	o := contractOptions(time.Now)
	o.MaxBytes = limit
	s, ctx := open(t, o), context.Background()
	entry := strings.Repeat("x", 1000)
	stored := 0
	for range 10 * limit / len(entry) {
		r := s.Append(ctx, []store.Record{Rec(store.Events, entry, fmt.Sprint("k", stored), "s", "")})[0]
		if errors.Is(r.Err, store.ErrFull) {
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
	if r := s.Append(ctx, []store.Record{Rec(store.Events, "", fmt.Sprint("k", stored), "other", "")})[0]; r.Err != nil || r.Dup {
		t.Errorf("the refused record's key was remembered: %+v", r)
	}
	if err := s.DeleteThrough(ctx, store.Events, ^uint64(0)>>1); err != nil {
		t.Fatal(err)
	}
	for i := range stored / 2 {
		if r := s.Append(ctx, []store.Record{Rec(store.Events, entry, "", "", "")})[0]; r.Err != nil {
			t.Fatalf("append %d after deleting: %v", i, r.Err)
		}
	}
}

// contractCommitBeforeReturn: every Append returns only after a commit that
// reached stable storage, as the commit hook reports it.
func contractCommitBeforeReturn(t *testing.T, open Opener) {
	var commits, unsynced atomic.Int64
	o := contractOptions(time.Now)
	o.OnCommit = func(ci store.CommitInfo) {
		commits.Add(1)
		if !ci.Synced {
			unsynced.Add(1)
		}
	}
	s, ctx := open(t, o), context.Background()
	for i := range 5 {
		before := commits.Load()
		MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, fmt.Sprint(i), "", "", "")}))
		if commits.Load() == before {
			t.Fatalf("append %d returned before its commit", i)
		}
	}
	if unsynced.Load() > 0 {
		t.Errorf("%d commits did not reach stable storage", unsynced.Load())
	}
}

// contractCounts: Count and UsedBytes follow every kind of change, and a
// record that stores nothing (a repeat, a reused key, a refusal for room, a
// key alone) changes neither count.
func contractCounts(t *testing.T, open Opener) {
	o := contractOptions(time.Now)
	o.MaxBytes = 1 << 20
	s, ctx := open(t, o), context.Background()
	empty := WantCounts(t, s, 0, 0)

	// Entries larger than a page, so that the room they take shows on any
	// engine.
	big := func(c string) string { return strings.Repeat(c, 5000) }
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, big("a"), "ka", "s", "r"), Rec(store.Snapshots, big("s"), "", "", ""), Rec(store.Events, big("b"), "", "", "")}))
	grown := WantCounts(t, s, 2, 1)
	if grown <= empty {
		t.Errorf("UsedBytes %d after appends, %d empty", grown, empty)
	}

	res := s.Append(ctx, []store.Record{
		Rec(store.Events, "a", "ka", "s", ""),                        // a repeat
		Rec(store.Events, "x", "ka", "other", ""),                    // a reused key
		Rec(store.Snapshots, strings.Repeat("x", 2<<20), "", "", ""), // no room
		Rec(store.Events, "", "key-alone", "s", "r"),                 // a key alone
	})
	if !res[0].Dup || !errors.Is(res[1].Err, store.ErrKeyReused) || !errors.Is(res[2].Err, store.ErrFull) || res[3].Err != nil {
		t.Fatalf("results: %+v", res)
	}
	WantCounts(t, s, 2, 1)

	ev := ScanAll(t, s, store.Events, 0)
	if err := s.DeleteThrough(ctx, store.Events, ev[0].Seq); err != nil {
		t.Fatal(err)
	}
	WantCounts(t, s, 1, 1)
	if err := s.DeleteThrough(ctx, store.Events, ev[0].Seq); err != nil { // nothing left to delete
		t.Fatal(err)
	}
	WantCounts(t, s, 1, 1)
	if err := s.DeleteThrough(ctx, store.Snapshots, ^uint64(0)>>1); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteThrough(ctx, store.Events, ^uint64(0)>>1); err != nil {
		t.Fatal(err)
	}
	if used := WantCounts(t, s, 0, 0); used >= grown {
		t.Errorf("UsedBytes %d after deleting everything, %d before", used, grown)
	}
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Snapshots, "s2", "", "", "")}))
	WantCounts(t, s, 0, 1)

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Count(ctx, store.Events); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Count after Close: %v", err)
	}
	if _, err := s.UsedBytes(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("UsedBytes after Close: %v", err)
	}
}
