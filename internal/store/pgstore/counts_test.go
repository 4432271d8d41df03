package pgstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// TestMigrationCountsExistingEntries: a database at the schema before the
// counts, holding entries, has them counted by the migration, and the
// counts follow writes from then on.
func TestMigrationCountsExistingEntries(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := knownMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE analytics_schema (version integer NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.name >= "0003" {
			break
		}
		if _, err := conn.Exec(ctx, m.sql); err != nil {
			t.Fatal(m.name, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO analytics_schema (version) VALUES ($1)", m.version); err != nil {
			t.Fatal(err)
		}
	}
	// Entries stored by a service of the schema before: 30 events, 4
	// snapshots.
	_, err = conn.Exec(ctx, `INSERT INTO analytics_entries (kind, seq, data)
		SELECT CASE WHEN n <= 30 THEN $1::smallint ELSE $2::smallint END, nextval('analytics_entry_seq'), '{}'::bytea
		FROM generate_series(1, 34) AS n`, int16(store.Events), int16(store.Snapshots))
	if err != nil {
		t.Fatal(err)
	}
	s := openPostgresTest(t, url, store.Options{})
	storetest.WantCounts(t, s, 30, 4)
	storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Snapshots, "new", "", "", "")}))
	if err := s.DeleteThrough(ctx, store.Events, 10); err != nil {
		t.Fatal(err)
	}
	storetest.WantCounts(t, s, 20, 5)
}

// TestCountsAcrossReplicas: replicas sharing the database append and
// delete at the same time, and every one reads the same, right counts.
func TestCountsAcrossReplicas(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	replicas := []*Store{openPostgresTest(t, url, store.Options{}), openPostgresTest(t, url, store.Options{}), openPostgresTest(t, url, store.Options{})}
	const each = 40
	var wg sync.WaitGroup
	errs := make(chan error, len(replicas)*each+1)
	for i, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				kind := store.Events
				if j%4 == 0 {
					kind = store.Snapshots
				}
				if res := r.Append(ctx, []store.Record{storetest.Rec(kind, fmt.Sprintf("%d-%d", i, j), "", "", "")}); res[0].Err != nil {
					errs <- res[0].Err
				}
			}
		}()
	}
	// A check-in on another replica deletes what it has seen meanwhile.
	wg.Add(1)
	var deleted int
	go func() {
		defer wg.Done()
		var last uint64
		err := replicas[0].Scan(ctx, store.Events, 0, func(e store.Entry) error {
			deleted, last = deleted+1, e.Seq
			return nil
		})
		if err == nil && last > 0 {
			err = replicas[1].DeleteThrough(ctx, store.Events, last)
		}
		errs <- err
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		storetest.WantCounts(t, r, len(replicas)*each*3/4-deleted, len(replicas)*each/4)
	}
}

// BenchmarkStatus measures what /status, a /metrics scrape and a
// /view/live poll ask the store, at 10 and at 1,000,000 entries: the same
// three one-row reads at both sizes (before, a count(*) of each
// collection).
//
//	eval "$(.ci/postgres start /tmp/analytics-pg)"
//	go test -run '^$' -bench Status ./internal/store/pgstore
func BenchmarkStatus(b *testing.B) {
	for _, n := range []int{10, 1_000_000} {
		b.Run(fmt.Sprint("entries=", n), func(b *testing.B) {
			s := openPostgresTest(b, pgtest.NewDatabase(b), store.Options{})
			ctx := context.Background()
			_, err := s.pool.Exec(ctx, `INSERT INTO analytics_entries (kind, seq, data)
				SELECT $1, nextval('analytics_entry_seq'), '{"event":"x","value":"0123456789abcdef"}'::bytea
				FROM generate_series(1, $2)`, int16(store.Events), n)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.pool.Exec(ctx, "VACUUM ANALYZE analytics_entries"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				ev, err := s.Count(ctx, store.Events)
				if err != nil || ev != n {
					b.Fatalf("count %d, %v", ev, err)
				}
				if _, err := s.Count(ctx, store.Snapshots); err != nil {
					b.Fatal(err)
				}
				if _, err := s.UsedBytes(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
