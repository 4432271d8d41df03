package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
)

// Shared returns a function that opens a store on the same storage each
// time it is called (the same file, the same database), as a restarted
// service or another replica would. The test closes each store before it
// opens the next.
type Shared func(t *testing.T) func(opts store.Options) store.Store

// RunShared holds the stores that open makes to the clauses of the
// contract that take more than one store on the same storage.
func RunShared(t *testing.T, open Shared) {
	t.Run("KeyClockSteps", func(t *testing.T) { contractKeyClockSteps(t, open) })
}

// contractKeyClockSteps: keys expire on a clock only elapsed time moves. A
// retry after the wall clock stepped forward 48 h, one of a key stored while
// the clock was 48 h behind and then corrected, and one answered by a
// replica (or restart) whose clock is 49 h ahead are each stored once; and
// keys still expire once their retention has passed.
func contractKeyClockSteps(t *testing.T, shared Shared) {
	ctx := context.Background()
	open := shared(t)
	clock := NewClock(time.Now())
	opts := clock.Options(store.Options{Retention: 48 * time.Hour})
	s := open(opts)
	once := func(s store.Store, key, when string) {
		t.Helper()
		r := s.Append(ctx, []store.Record{Rec(store.Events, key+" again", key, "sum", "")})[0]
		if r.Err != nil || !r.Dup || string(r.Prior) != "first" {
			t.Errorf("%s: the retry of %s was not answered as a repeat: %+v", when, key, r)
		}
	}
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "fwd", "fwd", "sum", "first")}))
	clock.Advance(time.Minute)
	clock.Step(48 * time.Hour)
	once(s, "fwd", "after the wall clock stepped forward 48 h")

	clock.Step(-48 * time.Hour) // corrected
	clock.Step(-48 * time.Hour) // and wrong the other way
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "back", "back", "sum", "first")}))
	clock.Advance(time.Minute)
	clock.Step(48 * time.Hour) // corrected
	once(s, "back", "after a clock 48 h behind was corrected")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	ahead := NewClock(clock.Now().Add(49 * time.Hour))
	s = open(ahead.Options(store.Options{Retention: 48 * time.Hour}))
	once(s, "fwd", "on a replica whose clock is 49 h ahead")
	once(s, "back", "on a replica whose clock is 49 h ahead")

	ahead.Advance(48 * time.Hour)
	r := s.Append(ctx, []store.Record{Rec(store.Events, "fwd later", "fwd", "other sum", "")})[0]
	if r.Err != nil || r.Dup {
		t.Errorf("a key 48 h old is still remembered: %+v", r)
	}
	if n := len(ScanAll(t, s, store.Events, 0)); n != 3 {
		t.Errorf("%d entries stored, want 3 (fwd, back, fwd later)", n)
	}
}

// contractRoomAfterCheckIns: a store filled to its limit with entries that
// each carry a key (as every request does) gets back, at each check-in
// (scan, then delete what was read), at least 90% of the room its entries
// took, round after round: keys never take the entries' room.
func contractRoomAfterCheckIns(t *testing.T, open Opener) {
	const limit = 256 << 10
	o := contractOptions(time.Now)
	o.MaxBytes = limit
	s, ctx := open(t, o), context.Background()
	entry := strings.Repeat("x", 400)
	key := 0
	fill := func() int {
		n := 0
		for {
			recs := make([]store.Record, 16)
			for i := range recs {
				key++
				recs[i] = Rec(store.Events, entry, fmt.Sprintf("request-%08d", key), "sum", `{"status":"stored"}`)
			}
			full := false
			for _, r := range s.Append(ctx, recs) {
				switch {
				case errors.Is(r.Err, store.ErrFull):
					full = true
				case r.Err != nil:
					t.Fatal(r.Err)
				default:
					n++
				}
			}
			if full {
				return n
			}
		}
	}
	first := fill()
	if first < limit/len(entry)/2 {
		t.Fatalf("only %d entries of %d bytes fit under %d", first, len(entry), limit)
	}
	for round := 1; round <= 6; round++ {
		ev := ScanAll(t, s, store.Events, 0)
		if err := s.DeleteThrough(ctx, store.Events, ev[len(ev)-1].Seq); err != nil {
			t.Fatal(err)
		}
		n := fill()
		t.Logf("round %d: the check-in made room for %d entries (first fill: %d)", round, n, first)
		if n*10 < first*9 {
			t.Fatalf("round %d: the check-in freed room for %d entries, less than 90%% of the %d it deleted", round, n, len(ev))
		}
	}
}

// contractNewest: a store that finds its newest entry without a scan
// (store.Newest) reports the last sequence number Scan shows, 0 when
// empty, also after a delete.
func contractNewest(t *testing.T, open Opener) {
	s, ctx := open(t, contractOptions(time.Now)), context.Background()
	n, ok := s.(store.Newest)
	if !ok {
		t.Skip("the store does not implement store.Newest")
	}
	newest := func(want uint64) {
		t.Helper()
		if got, err := n.Newest(ctx, store.Events); err != nil || got != want {
			t.Errorf("Newest = %d, %v; want %d", got, err, want)
		}
	}
	newest(0)
	MustOK(t, s.Append(ctx, []store.Record{Rec(store.Events, "a", "", "", ""), Rec(store.Snapshots, "s", "", "", ""), Rec(store.Events, "b", "", "", "")}))
	ev := ScanAll(t, s, store.Events, 0)
	newest(ev[1].Seq)
	if err := s.DeleteThrough(ctx, store.Events, ev[1].Seq); err != nil {
		t.Fatal(err)
	}
	newest(0)
}
