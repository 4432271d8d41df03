package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store/storetest"

	"github.com/analytics-client/analytics/internal/store"
)

func TestPostgresContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		return openPostgresTest(t, pgtest.NewDatabase(t), opts)
	})
}

func TestPostgresContractShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) func(store.Options) store.Store {
		url := pgtest.NewDatabase(t)
		return func(opts store.Options) store.Store { return openPostgresTest(t, url, opts) }
	})
}

func openPostgresTest(t testing.TB, url string, opts store.Options) *Store {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, pool, opts)
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestPostgresMigratesOnceAndRefusesNewerSchema(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	// Replicas starting together: every one opens, none races the others.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			s, err := Open(ctx, pool, store.Options{})
			if err != nil {
				pool.Close()
				errs <- err
				return
			}
			errs <- s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := openPostgresTest(t, url, store.Options{})
	var versions int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM analytics_schema").Scan(&versions); err != nil || versions != SchemaVersion() {
		t.Fatalf("%d schema rows (err %v), want one per migration (%d)", versions, err, SchemaVersion())
	}
	if _, err := s.pool.Exec(ctx, "INSERT INTO analytics_schema (version) VALUES ($1)", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = Open(ctx, pool, store.Options{})
	if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "newer analyticsd") {
		t.Fatalf("a newer schema: got %v, want ErrSchemaTooNew saying what to do", err)
	}
}

func TestPostgresOutageFailsFastAndRecovers(t *testing.T) {
	cluster := pgtest.NewCluster(t)
	s := openPostgresTest(t, cluster.URL, store.Options{})
	ctx := context.Background()
	storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Events, "before", "k1", "s", "r1")}))
	up := cluster.Down()
	actx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if r := s.Append(actx, []store.Record{storetest.Rec(store.Events, "during", "k2", "s", "")})[0]; r.Err == nil {
		t.Fatal("an append while the database is down succeeded")
	} else if actx.Err() != nil {
		t.Fatalf("the append waited for its deadline instead of failing: %v", r.Err)
	}
	up()
	// The pool reconnects by itself; appends right after the restart may
	// still meet dead pooled connections, never more than the pool holds.
	var err error
	for range s.pool.Config().MaxConns + 1 {
		if err = s.Append(ctx, []store.Record{storetest.Rec(store.Events, "after", "k3", "s", "")})[0].Err; err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no recovery after the restart: %v", err)
	}
	if r := s.Append(ctx, []store.Record{storetest.Rec(store.Events, "again", "k1", "s", "")})[0]; r.Err != nil || !r.Dup || string(r.Prior) != "r1" {
		t.Fatalf("key from before the outage: %+v", r)
	}
	if got := fmt.Sprint(storetest.Datas(storetest.ScanAll(t, s, store.Events, 0))); got != "[before after]" {
		t.Fatalf("stored %s", got)
	}
}

func TestPostgresCheckInLockIsExclusive(t *testing.T) {
	url := pgtest.NewDatabase(t)
	a, b := openPostgresTest(t, url, store.Options{}), openPostgresTest(t, url, store.Options{})
	ctx := context.Background()
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ran, err := a.TryExclusive(ctx, func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
		if err == nil && !ran {
			err = errors.New("the first replica did not get the lock")
		}
		done <- err
	}()
	<-inside
	ran, err := b.TryExclusive(ctx, func(context.Context) error { return nil })
	if err != nil || ran {
		t.Fatalf("second replica while the first holds the lock: ran %v err %v", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ran, err = b.TryExclusive(ctx, func(context.Context) error { return nil })
	if err != nil || !ran {
		t.Fatalf("second replica after the first released the lock: ran %v err %v", ran, err)
	}
}
