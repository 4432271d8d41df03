package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTest opens a store in a fresh directory and closes it when the test
// ends.
func openTest(t testing.TB, opts store.Options) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "data", "analytics.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// appendOne appends one record and returns its result's fields.
func appendOne(s store.Store, ctx context.Context, kind store.Kind, data []byte, key string, reply []byte) ([]byte, bool, error) {
	r := s.Append(ctx, []store.Record{{Kind: kind, Data: data, Key: key, Reply: reply}})[0]
	return r.Prior, r.Dup, r.Err
}

func mustAppend(t testing.TB, s *Store, kind store.Kind, data string) {
	t.Helper()
	if _, _, err := appendOne(s, context.Background(), kind, []byte(data), "", nil); err != nil {
		t.Fatal(err)
	}
}

// fill stores n entries "e<i>" in one transaction: a quick way to build a
// large collection without one fsync per entry.
func fill(t testing.TB, s *Store, kind store.Kind, n int) {
	t.Helper()
	name, err := kindBucket(kind)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			if err := putNext(tx.Bucket(name), fmt.Appendf(nil, "e%d", i)); err != nil {
				return err
			}
		}
		return addCount(tx, name, n)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func scanAll(t testing.TB, s *Store, kind store.Kind, after uint64) []store.Entry {
	t.Helper()
	var got []store.Entry
	err := s.Scan(context.Background(), kind, after, func(e store.Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func count(t testing.TB, s *Store, kind store.Kind) int {
	t.Helper()
	n, err := s.Count(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAppendScanOrderAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "analytics.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		mustAppend(t, s, store.Events, fmt.Sprintf("ev%d", i))
		mustAppend(t, s, store.Snapshots, fmt.Sprintf("snap%d", i))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustAppend(t, s, store.Events, "ev3")

	ev := scanAll(t, s, store.Events, 0)
	if got, want := fmt.Sprint(storetest.Datas(ev)), "[ev0 ev1 ev2 ev3]"; got != want {
		t.Fatalf("events = %s, want %s", got, want)
	}
	storetest.CheckIncreasing(t, ev)
	if ev[3].Seq != 4 {
		t.Errorf("sequence after reopen = %d, want 4", ev[3].Seq)
	}
	if got, want := fmt.Sprint(storetest.Datas(scanAll(t, s, store.Snapshots, 0))), "[snap0 snap1 snap2]"; got != want {
		t.Errorf("snapshots = %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(storetest.Datas(scanAll(t, s, store.Events, ev[1].Seq))), "[ev2 ev3]"; got != want {
		t.Errorf("events after %d = %s, want %s", ev[1].Seq, got, want)
	}
	if n := len(scanAll(t, s, store.Events, ^uint64(0))); n != 0 {
		t.Errorf("scan after max seq returned %d entries", n)
	}
	if n := count(t, s, store.Events); n != 4 {
		t.Errorf("Count(events) = %d, want 4", n)
	}
}

func TestIdempotentKeyReturnsFirstReply(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx := context.Background()

	prior, dup, err := appendOne(s, ctx, store.Events, []byte("one"), "k1", []byte("reply1"))
	if err != nil || dup || prior != nil {
		t.Fatalf("first append: prior=%q dup=%v err=%v", prior, dup, err)
	}
	prior, dup, err = appendOne(s, ctx, store.Events, []byte("two"), "k1", []byte("reply2"))
	if err != nil || !dup || string(prior) != "reply1" {
		t.Fatalf("second append: prior=%q dup=%v err=%v, want reply1 dup", prior, dup, err)
	}
	// Keys are shared by both collections.
	if _, dup, _ := appendOne(s, ctx, store.Snapshots, []byte("three"), "k1", nil); !dup {
		t.Error("same key in the other collection was not a duplicate")
	}
	if got := storetest.Datas(scanAll(t, s, store.Events, 0)); len(got) != 1 || got[0] != "one" {
		t.Errorf("events = %q, want [one]", got)
	}
	if n := count(t, s, store.Snapshots); n != 0 {
		t.Errorf("snapshots stored %d, want 0", n)
	}
}

func TestIdempotentKeyConcurrent(t *testing.T) {
	s := openTest(t, store.Options{})
	const n = 50
	type result struct {
		prior []byte
		dup   bool
		mine  string
	}
	results := make([]result, n)
	var g errgroup.Group
	start := make(chan struct{})
	for i := range n {
		g.Go(func() error {
			<-start
			mine := fmt.Sprintf("reply%d", i)
			prior, dup, err := appendOne(s, context.Background(), store.Events, []byte(mine), "same", []byte(mine))
			results[i] = result{prior, dup, mine}
			return err
		})
	}
	close(start)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	var winner string
	for _, r := range results {
		if !r.dup {
			if winner != "" {
				t.Fatalf("two appends stored: %s and %s", winner, r.mine)
			}
			winner = r.mine
		}
	}
	if winner == "" {
		t.Fatal("no append stored")
	}
	for i, r := range results {
		if r.dup && string(r.prior) != winner {
			t.Errorf("append %d got prior %q, want %q", i, r.prior, winner)
		}
	}
	if got := storetest.Datas(scanAll(t, s, store.Events, 0)); len(got) != 1 || got[0] != winner {
		t.Errorf("stored %q, want [%s]", got, winner)
	}
}

// flakyCtx is a context whose Err is nil for the first ok calls and
// Canceled afterwards: it lets an Append pass its early checks and then
// fail inside the group commit, which makes bbolt re-run the other members.
type flakyCtx struct {
	context.Context
	ok atomic.Int32
}

func (c *flakyCtx) Err() error {
	if c.ok.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestBatchRerunStoresOnce(t *testing.T) {
	s := openTest(t, store.Options{})
	const n = 20
	var g errgroup.Group
	start := make(chan struct{})
	var failed atomic.Int32
	for i := range n {
		g.Go(func() error {
			<-start
			ctx, key := context.Background(), fmt.Sprintf("key%d", i%2)
			if i%5 == 0 {
				fc := &flakyCtx{Context: ctx}
				fc.ok.Store(1)
				// A key of its own, so the read-only duplicate check
				// cannot answer before the group commit.
				ctx, key = fc, fmt.Sprintf("flaky%d", i)
			}
			_, _, err := appendOne(s, ctx, store.Events, []byte("x"), key, []byte("r"))
			if errors.Is(err, context.Canceled) {
				failed.Add(1)
				return nil
			}
			return err
		})
	}
	close(start)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if failed.Load() != n/5 {
		t.Errorf("%d appends failed, want %d", failed.Load(), n/5)
	}
	// key0 and key1 each stored once; the failed appends stored nothing.
	if c := count(t, s, store.Events); c != 2 {
		t.Errorf("stored %d entries, want 2", c)
	}
}

func TestNilDataRemembersKeyOnly(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx := context.Background()
	if _, dup, err := appendOne(s, ctx, store.Events, nil, "k", []byte(`{"r":1}`)); err != nil || dup {
		t.Fatalf("dup=%v err=%v", dup, err)
	}
	if n := count(t, s, store.Events); n != 0 {
		t.Fatalf("nil data stored %d entries", n)
	}
	prior, dup, err := appendOne(s, ctx, store.Events, []byte("data"), "k", nil)
	if err != nil || !dup || string(prior) != `{"r":1}` {
		t.Fatalf("prior=%q dup=%v err=%v", prior, dup, err)
	}
	if n := count(t, s, store.Events); n != 0 {
		t.Errorf("duplicate stored %d entries", n)
	}
	// No data and no key: nothing to do.
	if _, dup, err := appendOne(s, ctx, store.Events, nil, "", nil); err != nil || dup {
		t.Errorf("empty append: dup=%v err=%v", dup, err)
	}
}

func keyCount(t testing.TB, s *Store) (keys, index int) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		keys = tx.Bucket(bucketKeys).Stats().KeyN
		index = tx.Bucket(bucketExpiry).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, index
}

func TestRetentionExpiry(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := openTest(t, clock.Options(store.Options{Retention: 24 * time.Hour}))
	ctx := context.Background()

	if _, _, err := appendOne(s, ctx, store.Events, []byte("a"), "k", []byte("r1")); err != nil {
		t.Fatal(err)
	}
	clock.Advance(24*time.Hour - time.Second)
	if prior, dup, err := appendOne(s, ctx, store.Events, []byte("b"), "k", []byte("r2")); err != nil || !dup || string(prior) != "r1" {
		t.Fatalf("within retention: prior=%q dup=%v err=%v", prior, dup, err)
	}
	clock.Advance(time.Second)
	if prior, dup, err := appendOne(s, ctx, store.Events, []byte("c"), "k", []byte("r3")); err != nil || dup || prior != nil {
		t.Fatalf("after retention: prior=%q dup=%v err=%v", prior, dup, err)
	}
	if prior, dup, _ := appendOne(s, ctx, store.Events, []byte("d"), "k", nil); !dup || string(prior) != "r3" {
		t.Fatalf("re-stored key: prior=%q dup=%v, want r3", prior, dup)
	}
	if got := fmt.Sprint(storetest.Datas(scanAll(t, s, store.Events, 0))); got != "[a c]" {
		t.Errorf("events = %s, want [a c]", got)
	}
	if k, i := keyCount(t, s); k != 1 || i != 1 {
		t.Errorf("after re-store: %d keys, %d index entries, want 1, 1", k, i)
	}

	// Appends prune expired keys in passing; Prune sweeps the rest.
	for i := range 20 {
		if _, _, err := appendOne(s, ctx, store.Events, nil, fmt.Sprintf("old%d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(25 * time.Hour)
	if _, _, err := appendOne(s, ctx, store.Events, nil, "fresh", nil); err != nil {
		t.Fatal(err)
	}
	if k, _ := keyCount(t, s); k != 22-store.PrunePerKey-store.PrunePerCommit {
		t.Errorf("after one append: %d keys, want %d", k, 22-store.PrunePerKey-store.PrunePerCommit)
	}
	n, err := s.pruneAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 21-store.PrunePerKey-store.PrunePerCommit {
		t.Errorf("Prune removed %d, want %d", n, 21-store.PrunePerKey-store.PrunePerCommit)
	}
	if k, i := keyCount(t, s); k != 1 || i != 1 {
		t.Errorf("after Prune: %d keys, %d index entries, want 1, 1", k, i)
	}
	if _, dup, _ := appendOne(s, ctx, store.Events, nil, "fresh", nil); !dup {
		t.Error("Prune removed an unexpired key")
	}
}

func TestScanPagesWithInterleavedWrites(t *testing.T) {
	s := openTest(t, store.Options{ScanPage: 4})
	for i := range 10 {
		mustAppend(t, s, store.Events, fmt.Sprintf("e%d", i))
	}
	var got []store.Entry
	err := s.Scan(context.Background(), store.Events, 0, func(e store.Entry) error {
		got = append(got, e)
		if len(got) <= 3 {
			// Written while the first page is being handed out: must show
			// up in a later page, after the original entries.
			mustAppend(t, s, store.Events, fmt.Sprintf("new%d", len(got)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	storetest.CheckIncreasing(t, got)
	want := "[e0 e1 e2 e3 e4 e5 e6 e7 e8 e9 new1 new2 new3]"
	if g := fmt.Sprint(storetest.Datas(got)); g != want {
		t.Errorf("scan = %s, want %s", g, want)
	}

	// An error from fn stops the scan and comes back unchanged.
	stop := errors.New("stop")
	calls := 0
	err = s.Scan(context.Background(), store.Events, 0, func(store.Entry) error {
		calls++
		if calls == 6 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 6 {
		t.Errorf("scan err=%v after %d calls, want stop after 6", err, calls)
	}
}

// TestScanCallbackMayGrowFile checks that Scan holds no read transaction
// while fn runs: writes in fn that grow the file need bbolt to remap it,
// which waits for every read transaction and would deadlock otherwise.
func TestScanCallbackMayGrowFile(t *testing.T) {
	s := openTest(t, store.Options{})
	fill(t, s, store.Events, 600) // more than two default pages
	big := bytes.Repeat([]byte("x"), 1<<20)
	done := make(chan error, 1)
	var seen int
	go func() {
		done <- s.Scan(context.Background(), store.Events, 0, func(e store.Entry) error {
			seen++
			if seen%200 == 0 {
				_, _, err := appendOne(s, context.Background(), store.Snapshots, big, "", nil)
				return err
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		// Not t.Fatal: Close in the cleanup would wait for the stuck
		// Append forever. A panic ends the run with every stack.
		panic("Scan with a growing write in fn did not finish: read transaction held across fn")
	}
	if seen != 600 {
		t.Errorf("scan saw %d entries, want 600", seen)
	}
	if n := count(t, s, store.Snapshots); n != 3 {
		t.Errorf("stored %d big snapshots, want 3", n)
	}
}

func TestDeleteThrough(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx := context.Background()
	fill(t, s, store.Events, 2*deletePage+10) // needs several delete transactions
	fill(t, s, store.Snapshots, 3)

	if err := s.DeleteThrough(ctx, store.Events, 0); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, store.Events); n != 2*deletePage+10 {
		t.Fatalf("delete through 0 left %d entries", n)
	}
	if err := s.DeleteThrough(ctx, store.Events, 2*deletePage+5); err != nil {
		t.Fatal(err)
	}
	rest := scanAll(t, s, store.Events, 0)
	if len(rest) != 5 || rest[0].Seq != 2*deletePage+6 {
		t.Fatalf("left %d entries starting at %v, want 5 from %d", len(rest), rest[0].Seq, 2*deletePage+6)
	}
	if n := count(t, s, store.Snapshots); n != 3 {
		t.Errorf("deleting events touched snapshots: %d left", n)
	}
	if err := s.DeleteThrough(ctx, store.Events, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, store.Events); n != 0 {
		t.Errorf("delete all left %d", n)
	}
	// Sequence numbers are never reused.
	mustAppend(t, s, store.Events, "after")
	if got := scanAll(t, s, store.Events, 0); len(got) != 1 || got[0].Seq != 2*deletePage+11 {
		t.Errorf("after delete: %+v", got)
	}
}

func TestContextCancelled(t *testing.T) {
	s := openTest(t, store.Options{})
	mustAppend(t, s, store.Events, "a")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if _, _, err := appendOne(s, ctx, store.Events, []byte("b"), "k", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Append: %v", err)
	}
	called := false
	if err := s.Scan(ctx, store.Events, 0, func(store.Entry) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
		t.Errorf("Scan: err=%v called=%v", err, called)
	}
	if err := s.DeleteThrough(ctx, store.Events, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("DeleteThrough: %v", err)
	}
	if _, err := s.Count(ctx, store.Events); !errors.Is(err, context.Canceled) {
		t.Errorf("Count: %v", err)
	}
	if _, err := s.pruneAll(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Prune: %v", err)
	}
	if got := storetest.Datas(scanAll(t, s, store.Events, 0)); len(got) != 1 || got[0] != "a" {
		t.Errorf("cancelled calls changed the store: %q", got)
	}
	if _, dup, _ := appendOne(s, context.Background(), store.Events, nil, "k", nil); dup {
		t.Error("cancelled Append remembered its key")
	}
}

func TestClosed(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "analytics.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, _, err := appendOne(s, ctx, store.Events, []byte("x"), "", nil); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Append: %v", err)
	}
	if err := s.Scan(ctx, store.Events, 0, func(store.Entry) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Scan: %v", err)
	}
	if err := s.DeleteThrough(ctx, store.Events, 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("DeleteThrough: %v", err)
	}
	if _, err := s.Count(ctx, store.Events); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Count: %v", err)
	}
	if _, err := s.pruneAll(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Prune: %v", err)
	}
}

func TestBadArguments(t *testing.T) {
	s := openTest(t, store.Options{})
	ctx := context.Background()
	if _, _, err := appendOne(s, ctx, store.Kind(9), []byte("x"), "", nil); !errors.Is(err, store.ErrUnknownKind) {
		t.Errorf("Append unknown kind: %v", err)
	}
	if err := s.Scan(ctx, 0, 0, func(store.Entry) error { return nil }); !errors.Is(err, store.ErrUnknownKind) {
		t.Errorf("Scan unknown kind: %v", err)
	}
	if err := s.DeleteThrough(ctx, 0, 1); !errors.Is(err, store.ErrUnknownKind) {
		t.Errorf("DeleteThrough unknown kind: %v", err)
	}
	if _, err := s.Count(ctx, 0); !errors.Is(err, store.ErrUnknownKind) {
		t.Errorf("Count unknown kind: %v", err)
	}
	long := string(bytes.Repeat([]byte("k"), store.MaxKeyLen+1))
	if _, _, err := appendOne(s, ctx, store.Events, []byte("x"), long, nil); !errors.Is(err, store.ErrKeyTooLong) {
		t.Errorf("Append long key: %v", err)
	}
}

func TestOpenLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = open(path, store.Options{}.WithDefaults(), false, 50*time.Millisecond)
	if !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("second Open: %v, want a lock timeout", err)
	}
}

// TestConcurrentUse runs writers, a reader and a check-in style deleter
// at once; every appended entry must be either deleted once or still there.
func TestConcurrentUse(t *testing.T) {
	s := openTest(t, store.Options{ScanPage: 16})
	const writers, each = 8, 25
	ctx := context.Background()

	var writersDone sync.WaitGroup
	var g errgroup.Group
	for w := range writers {
		writersDone.Add(1)
		g.Go(func() error {
			defer writersDone.Done()
			for i := range each {
				key := fmt.Sprintf("w%d-%d", w, i)
				if _, dup, err := appendOne(s, ctx, store.Events, []byte(key), key, []byte("ok")); err != nil || dup {
					return fmt.Errorf("append %s: dup=%v err=%w", key, dup, err)
				}
				// A retry of the same request must not store again.
				if _, dup, err := appendOne(s, ctx, store.Events, []byte(key), key, nil); err != nil || !dup {
					return fmt.Errorf("retry %s: dup=%v err=%w", key, dup, err)
				}
			}
			return nil
		})
	}
	stop := make(chan struct{})
	go func() { writersDone.Wait(); close(stop) }()

	var deleted int
	g.Go(func() error {
		var last uint64
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			var seen []store.Entry
			if err := s.Scan(ctx, store.Events, last, func(e store.Entry) error {
				seen = append(seen, e)
				return nil
			}); err != nil {
				return err
			}
			prev := last
			for _, e := range seen {
				if e.Seq <= prev {
					return fmt.Errorf("scan after %d returned %d after %d", last, e.Seq, prev)
				}
				prev = e.Seq
			}
			if len(seen) == 0 {
				continue
			}
			last = seen[len(seen)-1].Seq
			if err := s.DeleteThrough(ctx, store.Events, last); err != nil {
				return err
			}
			deleted += len(seen)
		}
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if left := count(t, s, store.Events); deleted+left != writers*each {
		t.Errorf("deleted %d + left %d != appended %d", deleted, left, writers*each)
	}
}

// commits returns the id of the last write transaction, which counts
// commits (and so fsyncs) made on this file.
func commits(b *testing.B, s *Store) int {
	var id int
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		b.Fatal(err)
	}
	return id
}

var benchEntry = []byte(`{"event":"puppetserver.jruby.borrow","metadata":{"count":3},"timestamp":"2026-11-29T18:56:39.790Z"}`)

func BenchmarkAppend(b *testing.B) {
	s := openTest(b, store.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	before := commits(b, s)
	i := 0
	for b.Loop() {
		i++
		if _, _, err := appendOne(s, ctx, store.Events, benchEntry, fmt.Sprintf("k%d", i), benchEntry); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(b.N)/float64(commits(b, s)-before), "entries/commit")
}

func BenchmarkAppendParallel(b *testing.B) {
	s := openTest(b, store.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	// 8 appenders per CPU: like a service with many requests in flight.
	b.SetParallelism(8)
	before := commits(b, s)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprintf("k%d", next.Add(1))
			if _, _, err := appendOne(s, ctx, store.Events, benchEntry, key, benchEntry); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(b.N)/float64(commits(b, s)-before), "entries/commit")
}

// TestOpenDropsOldKeyBuckets: the idempotency buckets of the format
// without request sums are dropped, so their records are never read as
// records with sums.
func TestOpenDropsOldKeyBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range oldBuckets {
			b, err := tx.CreateBucket(name)
			if err != nil {
				return err
			}
			if err := b.Put([]byte("k"), []byte("old")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path, store.Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_ = s.db.View(func(tx *bolt.Tx) error {
		for _, name := range oldBuckets {
			if tx.Bucket(name) != nil {
				t.Errorf("bucket %s kept", name)
			}
		}
		return nil
	})
}
