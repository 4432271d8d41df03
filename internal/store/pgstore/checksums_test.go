package pgstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// errorRecords keeps the ERROR records logged.
type errorRecords struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *errorRecords) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *errorRecords) WithGroup(string) slog.Handler            { return l }
func (l *errorRecords) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		l.mu.Lock()
		l.msgs = append(l.msgs, b.String())
		l.mu.Unlock()
	}
	return nil
}

// TestPostgresDamagedRowSetAside: a row whose data changed behind the
// store's back is not served; it moves to analytics_quarantine with one
// ERROR naming it, off the counts and the room, and Check lists it.
func TestPostgresDamagedRowSetAside(t *testing.T) {
	log := &errorRecords{}
	s := openPostgresTest(t, pgtest.NewDatabase(t), store.Options{Logger: slog.New(log), ScanPage: 3})
	ctx := context.Background()
	for i := range 10 {
		storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Events, fmt.Sprintf(`{"id":"event-%d"}`, i), "", "", "")}))
	}
	used := storetest.WantCounts(t, s, 10, 0)
	ev := storetest.ScanAll(t, s, store.Events, 0)
	if _, err := s.pool.Exec(ctx, `UPDATE analytics_entries SET data = '{"id":"eVent-3"}' WHERE seq = $1`, int64(ev[3].Seq)); err != nil {
		t.Fatal(err)
	}
	got := storetest.Datas(storetest.ScanAll(t, s, store.Events, 0))
	if len(got) != 9 || strings.Contains(fmt.Sprint(got), "event-3") || strings.Contains(fmt.Sprint(got), "eVent") {
		t.Fatalf("served %v, want the 9 sound entries", got)
	}
	storetest.ScanAll(t, s, store.Events, 0) // a second read logs nothing more
	if msgs := log.msgs; len(msgs) != 1 || !strings.Contains(msgs[0], fmt.Sprintf("seq=%d", ev[3].Seq)) || !strings.Contains(msgs[0], "kind=events") {
		t.Fatalf("ERROR records %q, want one naming events entry %d", msgs, ev[3].Seq)
	}
	if n, err := s.Quarantined(ctx); err != nil || n != 1 {
		t.Fatalf("Quarantined = %d, %v; want 1", n, err)
	}
	if after := storetest.WantCounts(t, s, 9, 0); after != used-int64(len(`{"id":"eVent-3"}`)+store.EntryOverhead) {
		t.Errorf("UsedBytes %d after setting one aside, %d before", after, used)
	}
	r, err := Check(ctx, s.pool)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Sound() || len(r.Quarantined) != 1 || r.Quarantined[0].Seq != ev[3].Seq || r.Events != 9 {
		t.Errorf("Check: %+v", r)
	}
}

// TestPostgresChecksumsFilledForOldRows: rows stored before schema version
// 4 get their checksum when a store opens on the database, after which a
// change to their data is caught.
func TestPostgresChecksumsFilledForOldRows(t *testing.T) {
	url := pgtest.NewDatabase(t)
	s := openPostgresTest(t, url, store.Options{})
	ctx := context.Background()
	for i := range 21 { // 11 events, 10 snapshots
		storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Kind(1+i%2), fmt.Sprintf(`{"n":%d}`, i), "", "", "")}))
	}
	recs := make([]store.Record, 2500) // more than one fill batch
	for i := range recs {
		recs[i] = storetest.Rec(store.Events, fmt.Sprintf(`{"m":%d}`, i), "", "", "")
	}
	storetest.MustOK(t, s.Append(ctx, recs))
	// Back to version 3, as a database from before checksums is.
	if _, err := s.pool.Exec(ctx, `ALTER TABLE analytics_entries DROP COLUMN checksum;
		DROP TABLE analytics_quarantine; DROP FUNCTION analytics_count_keys() CASCADE;
		DROP FUNCTION analytics_key_room(analytics_idempotency); ALTER TABLE analytics_usage DROP COLUMN key_bytes;
		DELETE FROM analytics_schema WHERE version = 4`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openPostgresTest(t, url, store.Options{})
	var unchecked, wrong int
	rows, err := s.pool.Query(ctx, "SELECT seq, data, checksum FROM analytics_entries")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var seq int64
		var data []byte
		var sum *int64
		if err := rows.Scan(&seq, &data, &sum); err != nil {
			t.Fatal(err)
		}
		switch {
		case sum == nil:
			unchecked++
		case *sum != int64(store.Checksum(uint64(seq), data)):
			wrong++
		}
	}
	if unchecked != 0 || wrong != 0 {
		t.Fatalf("after the upgrade: %d rows without a checksum, %d with a wrong one", unchecked, wrong)
	}
	if n := len(storetest.ScanAll(t, s, store.Events, 0)); n != 2511 {
		t.Errorf("%d events served after the upgrade, want 2511", n)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE analytics_entries SET data = '{"m":9}' WHERE data = '{"m":7}'`); err != nil {
		t.Fatal(err)
	}
	if n := len(storetest.ScanAll(t, s, store.Events, 0)); n != 2510 {
		t.Errorf("%d events served after a row changed, want 2510", n)
	}
}

// TestPostgresKeyRoomBounded: keys past MaxKeyBytes are forgotten oldest
// first, so their room stays bounded (and counted right) while entries are
// still taken; the newest keys still answer repeats.
func TestPostgresKeyRoomBounded(t *testing.T) {
	const keyRoom = 32 << 10
	s := openPostgresTest(t, pgtest.NewDatabase(t), store.Options{MaxBytes: 1 << 20, MaxKeyBytes: keyRoom})
	ctx := context.Background()
	for b := range 50 {
		recs := make([]store.Record, 20)
		for i := range recs {
			recs[i] = storetest.Rec(store.Events, `{"e":1}`, fmt.Sprintf("request-%d-%d", b, i), "sum", `{"reply":"stored"}`)
		}
		storetest.MustOK(t, s.Append(ctx, recs))
		var counted, actual int64
		err := s.pool.QueryRow(ctx, `SELECT key_bytes, (SELECT coalesce(sum(analytics_key_room(k)), 0) FROM analytics_idempotency k)
			FROM analytics_usage`).Scan(&counted, &actual)
		if err != nil {
			t.Fatal(err)
		}
		if counted != actual || counted > keyRoom {
			t.Fatalf("batch %d: keys counted %d, take %d, room %d", b, counted, actual, keyRoom)
		}
	}
	if n, _ := s.Count(ctx, store.Events); n != 1000 {
		t.Errorf("%d entries stored, want 1000", n)
	}
	if keys, _ := s.keyCount(ctx); keys >= 1000 || keys < 100 {
		t.Errorf("%d keys kept of 1000", keys)
	}
	if r := s.Append(ctx, []store.Record{storetest.Rec(store.Events, `{"e":1}`, "request-49-19", "sum", "")})[0]; !r.Dup {
		t.Errorf("the newest key was forgotten: %+v", r)
	}
}
