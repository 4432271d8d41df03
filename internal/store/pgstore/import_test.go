package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/internal/store/storetest"

	"github.com/analytics-client/analytics/internal/store"
)

// importFixture writes a real store: 2500 events of which the first 100
// were deleted by a check-in, 5 snapshots with keys "s1".."s5", and one key
// "old" that is expired by the time the clock returned is read. It returns
// the file's path and the clock.
func importFixture(t *testing.T) (string, *storetest.Clock) {
	t.Helper()
	// The keys age on the database's clock: the fixture's clock ends now.
	clock := storetest.NewClock(time.Now().Add(-49 * time.Hour))
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := boltstore.Open(path, clock.Options(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Events, `{"event":"old"}`, "old", "sum-old", "reply-old")}))
	clock.Advance(47 * time.Hour)
	recs := make([]store.Record, 2499)
	for i := range recs {
		recs[i] = storetest.Rec(store.Events, fmt.Sprintf(`{"event":"e%04d"}`, i), "", "", "")
	}
	storetest.MustOK(t, s.Append(ctx, recs))
	if err := s.DeleteThrough(ctx, store.Events, 100); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Snapshots, fmt.Sprintf(`{"s":%d}`, i), fmt.Sprint("s", i), fmt.Sprint("sum-s", i), fmt.Sprint("reply-s", i))}))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour) // "old" is 49 h old: past the 48 h retention
	return path, clock
}

// TestImportFromBolt copies a real bbolt store into a real database: both
// collections keep their entries, numbers and order; unexpired keys answer a
// repeat with the first reply and a reuse with ErrKeyReused; the expired
// key is not copied; the file is left as it was; and a second copy is
// refused, even after a check-in emptied the database.
func TestImportFromBolt(t *testing.T) {
	url := pgtest.NewDatabase(t)
	path, clock := importFixture(t)
	before, _ := os.ReadFile(path)
	src, err := boltstore.OpenReadOnly(path, clock.Options(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, url, clock.Options(store.Options{}))
	ctx := context.Background()
	st, err := pg.Import(ctx, src, path)
	if err != nil {
		t.Fatal(err)
	}
	want := ImportStats{Events: 2400, Snapshots: 5, Keys: 5, ExpiredKeys: 1}
	if got := st; got.Events != want.Events || got.Snapshots != want.Snapshots || got.Keys != want.Keys || got.ExpiredKeys != want.ExpiredKeys {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		if a, b := storetest.ScanAll(t, src, kind, 0), storetest.ScanAll(t, pg, kind, 0); !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %d entries in the database differ from the %d in the file", kind, len(b), len(a))
		}
	}
	if used := storetest.WantCounts(t, pg, 2400, 5); used != st.Bytes || used == 0 {
		t.Errorf("used bytes %d, want %d", used, st.Bytes)
	}
	if n, err := pg.keyCount(ctx); err != nil || n != 5 {
		t.Errorf("%d keys (%v), want 5", n, err)
	}
	res := pg.Append(ctx, []store.Record{
		storetest.Rec(store.Snapshots, `{"s":1}`, "s1", "sum-s1", "other"),        // a retry after the move
		storetest.Rec(store.Snapshots, `{"s":9}`, "s2", "another request", "x"),   // a reuse
		storetest.Rec(store.Events, `{"event":"new"}`, "old", "another sum", "r"), // expired: free again
	})
	if !res[0].Dup || string(res[0].Prior) != "reply-s1" || !errors.Is(res[1].Err, store.ErrKeyReused) || res[2].Err != nil || res[2].Dup {
		t.Fatalf("after the copy: %+v", res)
	}
	storetest.WantCounts(t, pg, 2401, 5)
	events := storetest.ScanAll(t, pg, store.Events, 0)
	if last := events[len(events)-1]; string(last.Data) != `{"event":"new"}` || last.Seq != 2501 {
		t.Errorf("a new entry got %d %s, want 2501 after the copied ones", last.Seq, last.Data)
	}
	if _, err := pg.Import(ctx, src, path); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "2406 entries") {
		t.Errorf("second copy: %v, want ErrNotEmpty naming the entries", err)
	}
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		if err := pg.DeleteThrough(ctx, kind, 1<<40); err != nil {
			t.Fatal(err)
		}
	}
	storetest.WantCounts(t, pg, 0, 0)
	if _, err := pg.Import(ctx, src, path); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "received "+path) {
		t.Errorf("copy after a check-in: %v, want ErrNotEmpty naming the earlier copy", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the copy changed the file (%d bytes, was %d)", len(after), len(before))
	}
}

// TestImportRefusesDatabaseWithEntries: a database a replica has stored
// into is not a copy's destination; nothing is copied.
func TestImportRefusesDatabaseWithEntries(t *testing.T) {
	path, clock := importFixture(t)
	src, err := boltstore.OpenReadOnly(path, clock.Options(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), clock.Options(store.Options{}))
	ctx := context.Background()
	storetest.MustOK(t, pg.Append(ctx, []store.Record{storetest.Rec(store.Events, `{"event":"here"}`, "k", "s", "r")}))
	if _, err := pg.Import(ctx, src, path); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "holds 1 entries") {
		t.Fatalf("copy into a database with entries: %v", err)
	}
	if n, _ := pg.keyCount(ctx); n != 1 || len(storetest.ScanAll(t, pg, store.Events, 0)) != 1 {
		t.Errorf("the refused copy changed the database: %d keys", n)
	}
}

// cancelAfter is a Source that cancels the copy after n entries, as Ctrl-C
// or a lost connection does in the middle of a copy.
type cancelAfter struct {
	Source
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	return c.Source.Scan(ctx, kind, after, func(e store.Entry) error {
		if c.n--; c.n == 0 {
			c.cancel()
		}
		return fn(e)
	})
}

// TestImportInterruptedCopiesNothing: a copy interrupted after batches were
// sent leaves the database as it was, and running it again copies all.
func TestImportInterruptedCopiesNothing(t *testing.T) {
	path, clock := importFixture(t)
	src, err := boltstore.OpenReadOnly(path, clock.Options(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), clock.Options(store.Options{}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two full batches are sent before the cancel.
	_, err = pg.Import(ctx, &cancelAfter{Source: src, n: 2*importBatch + 10, cancel: cancel}, path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy: %v, want context.Canceled", err)
	}
	bg := context.Background()
	if n, _ := pg.keyCount(bg); n != 0 || len(storetest.ScanAll(t, pg, store.Events, 0)) != 0 {
		t.Fatalf("the interrupted copy left %d keys or some entries", n)
	}
	if used := storetest.WantCounts(t, pg, 0, 0); used != 0 {
		t.Errorf("the interrupted copy left %d bytes counted", used)
	}
	st, err := pg.Import(bg, src, path)
	if err != nil || st.Events != 2400 || st.Keys != 5 {
		t.Fatalf("copy after the interruption: %+v, %v", st, err)
	}
	storetest.WantCounts(t, pg, 2400, 5)
}

// TestImportEmptyStoreAllowsAnother: a copy that copied nothing (an empty
// store) does not count as a copy.
func TestImportEmptyStoreAllowsAnother(t *testing.T) {
	emptyPath := filepath.Join(t.TempDir(), "empty.db")
	s, err := boltstore.Open(emptyPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	empty, err := boltstore.OpenReadOnly(emptyPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	path, clock := importFixture(t)
	src, err := boltstore.OpenReadOnly(path, clock.Options(store.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), clock.Options(store.Options{}))
	ctx := context.Background()
	if st, err := pg.Import(ctx, empty, emptyPath); err != nil || st != (ImportStats{}) {
		t.Fatalf("empty store: %+v, %v", st, err)
	}
	if st, err := pg.Import(ctx, src, path); err != nil || st.Snapshots != 5 {
		t.Fatalf("copy after an empty one: %+v, %v", st, err)
	}
}

// BenchmarkImport measures copying a store of 100,000 events of about
// 100 bytes into PostgreSQL (analyticsd migrate), with the peak heap of
// the copy: it stays bounded by the batch, not the store.
//
//	eval "$(.ci/postgres start /tmp/analytics-pg)"
//	go test -run '^$' -bench Import -benchtime 3x ./internal/store/pgstore
func BenchmarkImport(b *testing.B) {
	const n = 100_000
	url := pgtest.NewDatabase(b)
	path := filepath.Join(b.TempDir(), "analytics.db")
	s, err := boltstore.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 10_000 {
		recs := make([]store.Record, 10_000)
		for j := range recs {
			recs[j] = store.Record{Kind: store.Events, Data: fmt.Appendf(nil, `{"event":"bench.%06d","timestamp":"2026-11-29T18:56:39.790Z","metadata":{"n":%d}}`, i+j, i+j)}
		}
		storetest.MustOK(b, s.Append(context.Background(), recs))
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	src, err := boltstore.OpenReadOnly(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(b, url, store.Options{})
	ctx := context.Background()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		if _, err := pg.pool.Exec(ctx, "TRUNCATE analytics_entries, analytics_imports, analytics_idempotency; UPDATE analytics_usage SET bytes = 0, events = 0, snapshots = 0"); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := watchHeap(&peak)
		b.StartTimer()
		if st, err := pg.Import(ctx, src, path); err != nil || st.Events != n {
			b.Fatalf("%+v, %v", st, err)
		}
		stop()
		peak -= min(peak, before.HeapAlloc)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// watchHeap samples the heap in use into *peak until stop is called.
func watchHeap(peak *uint64) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	*peak = 0
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapAlloc)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
