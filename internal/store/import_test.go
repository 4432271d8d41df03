package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/analytics-client/analytics/internal/pgtest"
)

// importFixture writes a real store: 2500 events of which the first 100
// were deleted by a check-in, 5 snapshots with keys "s1".."s5", and one key
// "old" that is expired by the time the clock returned is read. It returns
// the file's path and the clock.
func importFixture(t *testing.T) (string, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)}
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	mustOK(t, s.Append(ctx, []Record{rec(Events, `{"event":"old"}`, "old", "sum-old", "reply-old")}))
	clock.Advance(47 * time.Hour)
	recs := make([]Record, 2499)
	for i := range recs {
		recs[i] = rec(Events, fmt.Sprintf(`{"event":"e%04d"}`, i), "", "", "")
	}
	mustOK(t, s.Append(ctx, recs))
	if err := s.DeleteThrough(ctx, Events, 100); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		mustOK(t, s.Append(ctx, []Record{rec(Snapshots, fmt.Sprintf(`{"s":%d}`, i), fmt.Sprint("s", i), fmt.Sprint("sum-s", i), fmt.Sprint("reply-s", i))}))
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
	src, err := OpenReadOnly(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, url, Options{Now: clock.Now})
	ctx := context.Background()
	st, err := pg.Import(ctx, src, path)
	if err != nil {
		t.Fatal(err)
	}
	want := ImportStats{Events: 2400, Snapshots: 5, Keys: 5, ExpiredKeys: 1}
	if got := st; got.Events != want.Events || got.Snapshots != want.Snapshots || got.Keys != want.Keys || got.ExpiredKeys != want.ExpiredKeys {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
	for _, kind := range []Kind{Events, Snapshots} {
		if a, b := scanAll(t, src, kind, 0), contractScan(t, pg, kind, 0); !reflect.DeepEqual(a, b) {
			t.Fatalf("%s: %d entries in the database differ from the %d in the file", kind, len(b), len(a))
		}
	}
	if used, err := pg.UsedBytes(ctx); err != nil || used != st.Bytes || used == 0 {
		t.Errorf("used bytes %d (%v), want %d", used, err, st.Bytes)
	}
	if n, err := pg.keyCount(ctx); err != nil || n != 5 {
		t.Errorf("%d keys (%v), want 5", n, err)
	}
	res := pg.Append(ctx, []Record{
		rec(Snapshots, `{"s":1}`, "s1", "sum-s1", "other"),        // a retry after the move
		rec(Snapshots, `{"s":9}`, "s2", "another request", "x"),   // a reuse
		rec(Events, `{"event":"new"}`, "old", "another sum", "r"), // expired: free again
	})
	if !res[0].Dup || string(res[0].Prior) != "reply-s1" || !errors.Is(res[1].Err, ErrKeyReused) || res[2].Err != nil || res[2].Dup {
		t.Fatalf("after the copy: %+v", res)
	}
	events := contractScan(t, pg, Events, 0)
	if last := events[len(events)-1]; string(last.Data) != `{"event":"new"}` || last.Seq != 2501 {
		t.Errorf("a new entry got %d %s, want 2501 after the copied ones", last.Seq, last.Data)
	}
	if _, err := pg.Import(ctx, src, path); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "2406 entries") {
		t.Errorf("second copy: %v, want ErrNotEmpty naming the entries", err)
	}
	for _, kind := range []Kind{Events, Snapshots} {
		if err := pg.DeleteThrough(ctx, kind, 1<<40); err != nil {
			t.Fatal(err)
		}
	}
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
	src, err := OpenReadOnly(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), Options{Now: clock.Now})
	ctx := context.Background()
	mustOK(t, pg.Append(ctx, []Record{rec(Events, `{"event":"here"}`, "k", "s", "r")}))
	if _, err := pg.Import(ctx, src, path); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "holds 1 entries") {
		t.Fatalf("copy into a database with entries: %v", err)
	}
	if n, _ := pg.keyCount(ctx); n != 1 || len(contractScan(t, pg, Events, 0)) != 1 {
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

func (c *cancelAfter) Scan(ctx context.Context, kind Kind, after uint64, fn func(Entry) error) error {
	return c.Source.Scan(ctx, kind, after, func(e Entry) error {
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
	src, err := OpenReadOnly(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), Options{Now: clock.Now})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two full batches are sent before the cancel.
	_, err = pg.Import(ctx, &cancelAfter{Source: src, n: 2*importBatch + 10, cancel: cancel}, path)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted copy: %v, want context.Canceled", err)
	}
	bg := context.Background()
	if n, _ := pg.keyCount(bg); n != 0 || len(contractScan(t, pg, Events, 0)) != 0 {
		t.Fatalf("the interrupted copy left %d keys or some entries", n)
	}
	if used, _ := pg.UsedBytes(bg); used != 0 {
		t.Errorf("the interrupted copy left %d bytes counted", used)
	}
	st, err := pg.Import(bg, src, path)
	if err != nil || st.Events != 2400 || st.Keys != 5 {
		t.Fatalf("copy after the interruption: %+v, %v", st, err)
	}
}

// TestImportEmptyStoreAllowsAnother: a copy that copied nothing (an empty
// store) does not count as a copy.
func TestImportEmptyStoreAllowsAnother(t *testing.T) {
	emptyPath := filepath.Join(t.TempDir(), "empty.db")
	s, err := Open(emptyPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	empty, err := OpenReadOnly(emptyPath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	path, clock := importFixture(t)
	src, err := OpenReadOnly(path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(t, pgtest.NewDatabase(t), Options{Now: clock.Now})
	ctx := context.Background()
	if st, err := pg.Import(ctx, empty, emptyPath); err != nil || st != (ImportStats{}) {
		t.Fatalf("empty store: %+v, %v", st, err)
	}
	if st, err := pg.Import(ctx, src, path); err != nil || st.Snapshots != 5 {
		t.Fatalf("copy after an empty one: %+v, %v", st, err)
	}
}

// TestOpenReadOnly: a read-only store reads entries and keys, writes
// nothing, refuses a file the service holds (and holds the service off),
// and does not create a missing file.
func TestOpenReadOnly(t *testing.T) {
	path, clock := importFixture(t)
	before, _ := os.ReadFile(path)
	s, err := OpenReadOnly(path, Options{Now: clock.Now, lockTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(scanAll(t, s, Events, 0)); n != 2400 {
		t.Errorf("%d events, want 2400", n)
	}
	if res := s.Append(context.Background(), []Record{rec(Events, "x", "", "", "")}); res[0].Err == nil {
		t.Error("Append on a read-only store succeeded")
	}
	if _, err := Open(path, Options{lockTimeout: 50 * time.Millisecond}); !errors.Is(err, berrors.ErrTimeout) {
		t.Errorf("Open while a copy reads the file: %v, want a lock timeout", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the file changed (%d bytes, was %d)", len(after), len(before))
	}

	svc, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	_, err = OpenReadOnly(path, Options{lockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, berrors.ErrTimeout) || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("OpenReadOnly of a file in use: %v, want a lock timeout saying so", err)
	}

	missing := filepath.Join(t.TempDir(), "none", "analytics.db")
	if _, err := OpenReadOnly(missing, Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(missing)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("OpenReadOnly created the directory of a missing file")
	}
}

// TestScanKeysPages: every key is reported once, in key order, across
// pages, with its stored-at time, sum and reply.
func TestScanKeysPages(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	s := openTest(t, Options{Now: clock.Now, scanPage: 3})
	var want []RememberedKey
	for i := range 10 {
		k := RememberedKey{Key: fmt.Sprintf("k%02d", i), Sum: []byte{byte(i)}, Reply: []byte(fmt.Sprint("r", i)), StoredAt: clock.Now()}
		mustOK(t, s.Append(context.Background(), []Record{{Kind: Events, Key: k.Key, Sum: k.Sum, Reply: k.Reply}}))
		want = append(want, k)
		clock.Advance(time.Minute)
	}
	var got []RememberedKey
	if err := s.ScanKeys(context.Background(), func(k RememberedKey) error { got = append(got, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Key != want[i].Key || !bytes.Equal(got[i].Sum, want[i].Sum) || !bytes.Equal(got[i].Reply, want[i].Reply) || !got[i].StoredAt.Equal(want[i].StoredAt) {
			t.Errorf("key %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// BenchmarkImport measures copying a store of 100,000 events of about
// 100 bytes into PostgreSQL (analyticsd migrate), with the peak heap of
// the copy: it stays bounded by the batch, not the store.
//
//	eval "$(.ci/postgres start /tmp/analytics-pg)"
//	go test -run '^$' -bench Import -benchtime 3x ./internal/store
func BenchmarkImport(b *testing.B) {
	const n = 100_000
	url := pgtest.NewDatabase(b)
	path := filepath.Join(b.TempDir(), "analytics.db")
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := range n {
			if err := putNext(tx.Bucket(bucketEvents), fmt.Appendf(nil, `{"event":"bench.%06d","timestamp":"2026-11-29T18:56:39.790Z","metadata":{"n":%d}}`, i, i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s.Close()
	src, err := OpenReadOnly(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	pg := openPostgresTest(b, url, Options{})
	ctx := context.Background()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		if _, err := pg.pool.Exec(ctx, "TRUNCATE analytics_entries, analytics_imports, analytics_idempotency; UPDATE analytics_usage SET bytes = 0"); err != nil {
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
