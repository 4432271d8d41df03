// Package pgstore is the store.Store kept in a PostgreSQL database, shared
// by any number of service replicas.
//
// Entries of both collections live in one table numbered by one sequence,
// taken under an advisory lock so that sequence order is commit order across
// replicas. One row (analytics_usage) keeps the room the entries take and
// the number of entries of each collection: the room is updated by the
// statements that add and delete entries, the counts by triggers on the
// entries table, both in the transaction that changes the entries, so that
// every replica reads them in constant time and they stay right whichever
// replica (or import) wrote; the keys' room likewise. Every entry carries a
// checksum checked on each read; a damaged row is set aside in
// analytics_quarantine (checksums.go). The schema is migrated on open
// (migrations/).
package pgstore

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/store"
)

// migrations holds the schema, one file per version: NNNN_name.sql.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock ids (pg_advisory_lock's bigint space is shared by every
// application on the database, so they are spelled out to be recognisable:
// "analytic" in ASCII, plus a role).
const (
	lockMigrate = 0x616e616c79746963 + iota
	lockAppend
	lockCheckIn
)

// postgresTxTimeout bounds one group-commit transaction, so that a database
// that stops answering fails the waiting requests instead of holding them.
const postgresTxTimeout = 30 * time.Second

// Store is the Store kept in a PostgreSQL database, shared by any number
// of service replicas. Create it with Open or Connect.
//
// Appends are group-committed per replica (one transaction per group), and
// every group takes a transaction-scoped advisory lock before it allocates
// sequence numbers, so that sequence order is commit order across replicas:
// Scan's "after" cursor and DeleteThrough never skip or remove an entry that
// committed late.
type Store struct {
	pool      *pgxpool.Pool
	commits   *store.Committer[pgTx]
	synced    bool // synchronous_commit is not off
	retention time.Duration
	maxBytes  int64
	maxKeys   int64 // Options.MaxKeyBytes
	now       func() time.Time
	clock     *store.KeyClock // ages keys: the database's clock, forward only
	log       *slog.Logger
	scanPage  int
	lifetime  context.Context
	stop      context.CancelFunc
	closed    atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open connects with pool, brings the schema up to date (under an
// advisory lock, so replicas starting together do not race) and returns the
// store, which owns pool from then on. A database whose schema is newer than
// this binary knows is refused. The options mean what they mean for Open;
// MaxBytes counts the entries as the bbolt store estimates them (data plus
// a fixed overhead each).
func Open(ctx context.Context, pool *pgxpool.Pool, opts store.Options) (*Store, error) {
	opts = opts.WithDefaults()
	if err := migrate(ctx, pool, opts.Logger); err != nil {
		return nil, err
	}
	if err := fillChecksums(ctx, pool, opts.Logger); err != nil {
		return nil, err
	}
	var syncMode string
	if err := pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&syncMode); err != nil {
		return nil, fmt.Errorf("store: synchronous_commit: %w", err)
	}
	// Keys age on the database's clock, not this replica's: it starts at
	// the later of the database's time and the newest key any replica
	// stored, and moves by elapsed time (store.KeyClock).
	var dbNow time.Time
	if err := pool.QueryRow(ctx, "SELECT greatest(now(), (SELECT max(stored_at) FROM analytics_idempotency))").Scan(&dbNow); err != nil {
		return nil, fmt.Errorf("store: database clock: %w", err)
	}
	s := &Store{pool: pool, synced: syncMode != "off", retention: opts.Retention, maxBytes: opts.MaxBytes,
		maxKeys: opts.MaxKeyBytes, now: opts.Now, clock: store.NewKeyClock(dbNow, opts.Elapsed), log: opts.Logger, scanPage: opts.ScanPage}
	if !s.synced {
		opts.Logger.Warn("PostgreSQL has synchronous_commit off: an acknowledged entry can be lost in a database crash")
	}
	s.lifetime, s.stop = context.WithCancel(context.Background())
	s.commits = store.NewCommitter(s.runTx, func() bool { return s.synced }, opts.OnCommit)
	return s, nil
}

// pgTx is a group commit's transaction with the context its statements
// run under: the store's lifetime and postgresTxTimeout, not any one
// caller's, so that a caller that gives up does not fail the others' group.
type pgTx struct {
	pgx.Tx
	ctx context.Context
}

// runTx runs fn in one transaction holding the append lock.
func (s *Store) runTx(fn func(pgTx) error) error {
	ctx, cancel := context.WithTimeout(s.lifetime, postgresTxTimeout)
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockAppend)); err != nil {
			return err
		}
		return fn(pgTx{Tx: tx, ctx: ctx})
	})
}

// Close stops the committer after what is queued and closes the pool.
// Calls after Close return ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.commits.Close()
	s.stop()
	s.pool.Close()
	return nil
}

// Append implements Store: recs go into one group commit, shared with
// concurrent calls, and Append returns after it committed. ctx is checked
// before the write; once the write has begun Append waits for the commit
// (bounded by postgresTxTimeout).
func (s *Store) Append(ctx context.Context, recs []store.Record) []store.Result {
	p := store.NewPending(recs)
	if p.N == 0 {
		return p.Res
	}
	err := ctx.Err()
	if err == nil {
		err = s.commits.Do(func(tx pgTx, g *store.Group) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return s.appendIn(tx, g, recs, p.Todo, p.Res)
		})
	}
	if err != nil {
		return p.Fail(err)
	}
	return p.Res
}

// appendIn is Append's part of a group commit, in two round trips: one
// reads the records' keys and the room in use, one writes the new keys, the
// entries (in recs' order) and the room. The committer may run it more
// than once, so it sets every result from scratch.
func (s *Store) appendIn(tx pgTx, g *store.Group, recs []store.Record, todo []bool, res []store.Result) error {
	known, used, next, keyRoom, err := s.lookup(tx, recs, todo)
	if err != nil {
		return err
	}
	var w pgWrite
	for i, r := range recs {
		if !todo[i] {
			continue
		}
		res[i] = store.Result{}
		if r.Key != "" {
			if k, ok := known[r.Key]; ok {
				if !bytes.Equal(k.sum, r.Sum) {
					res[i].Err = store.AppendError(r.Kind, r.Key, store.ErrKeyReused)
				} else {
					res[i].Prior, res[i].Dup = k.reply, true
				}
				continue
			}
		}
		if r.Data != nil {
			cost := int64(len(r.Data) + store.EntryOverhead)
			if s.maxBytes > 0 && used+g.Added+cost > s.maxBytes {
				res[i].Err = store.AppendError(r.Kind, r.Key, fmt.Errorf("%w: the limit is %d bytes", store.ErrFull, s.maxBytes))
				continue
			}
			g.Added += cost
			w.added += cost
			seq := next + int64(len(w.seqs))
			w.kinds, w.datas = append(w.kinds, int16(r.Kind)), append(w.datas, r.Data)
			w.seqs, w.checks = append(w.seqs, seq), append(w.checks, int64(store.Checksum(uint64(seq), r.Data)))
		}
		if r.Key != "" {
			known[r.Key] = keyRow{sum: r.Sum, reply: r.Reply} // a later record of recs repeats it
			w.keys, w.sums, w.replies = append(w.keys, r.Key), append(w.sums, r.Sum), append(w.replies, r.Reply)
		}
	}
	now := s.clock.Now()
	if err := w.send(tx, now, now.Add(-s.retention)); err != nil {
		return err
	}
	return s.makeKeyRoom(tx, keyRoom, w)
}

// keyRoomOverhead is what analytics_key_room (migrations/0004) adds to a
// key's bytes.
const keyRoomOverhead = 48

// makeKeyRoom forgets the oldest keys, expired or not, when the keys take
// more than MaxKeyBytes (room was the keys' room before w), down to 90% of
// it so that the statement, which reads every key, runs once in many
// commits: keys have their own room, and a full one shortens how long keys
// are remembered rather than refusing entries.
func (s *Store) makeKeyRoom(tx pgTx, room int64, w pgWrite) error {
	if s.maxKeys <= 0 {
		return nil
	}
	for i, k := range w.keys {
		room += int64(len(k)+len(w.sums[i])+len(w.replies[i])) + keyRoomOverhead
	}
	if room <= s.maxKeys {
		return nil
	}
	var n int64
	err := tx.QueryRow(tx.ctx, `WITH d AS (DELETE FROM analytics_idempotency WHERE key IN (
			SELECT key FROM (SELECT key, sum(analytics_key_room(k)) OVER (ORDER BY stored_at, key) AS run
				FROM analytics_idempotency k) t
			WHERE run <= (SELECT key_bytes FROM analytics_usage) - $1) RETURNING 1)
		SELECT count(*) FROM d`, s.maxKeys*9/10).Scan(&n)
	if err != nil {
		return fmt.Errorf("make room for keys: %w", err)
	}
	if n > 0 {
		s.log.Warn("idempotency keys forgotten before their retention: their room (max-key-bytes) is full", "forgotten", n, "limit", s.maxKeys)
	}
	return nil
}

// keyRow is a remembered key.
type keyRow struct{ sum, reply []byte }

// lookup returns the unexpired keys among recs', the room in use, and the
// next sequence number (the append lock is held: no one else takes one).
func (s *Store) lookup(tx pgTx, recs []store.Record, todo []bool) (known map[string]keyRow, used, next, keyRoom int64, err error) {
	known = map[string]keyRow{}
	var keys []string
	for i, r := range recs {
		if todo[i] && r.Key != "" {
			keys = append(keys, r.Key)
		}
	}
	b := &pgx.Batch{}
	b.Queue("SELECT bytes, key_bytes FROM analytics_usage").QueryRow(func(row pgx.Row) error { return row.Scan(&used, &keyRoom) })
	b.Queue("SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM analytics_entry_seq").
		QueryRow(func(row pgx.Row) error { return row.Scan(&next) })
	if len(keys) > 0 {
		b.Queue("SELECT key, sum, reply FROM analytics_idempotency WHERE key = ANY($1) AND stored_at > $2",
			keys, s.clock.Now().Add(-s.retention)).Query(func(rows pgx.Rows) error {
			var k string
			var row keyRow
			_, err := pgx.ForEachRow(rows, []any{&k, &row.sum, &row.reply}, func() error {
				known[k] = keyRow{sum: bytes.Clone(row.sum), reply: bytes.Clone(row.reply)}
				return nil
			})
			return err
		})
	}
	if err := tx.SendBatch(tx.ctx, b).Close(); err != nil {
		return nil, 0, 0, 0, fmt.Errorf("look up keys: %w", err)
	}
	return known, used, next, keyRoom, nil
}

// pgWrite is what one Append call writes.
type pgWrite struct {
	keys          []string
	sums, replies [][]byte
	kinds         []int16
	datas         [][]byte
	seqs, checks  []int64 // each entry's sequence number and checksum
	added         int64
}

// send writes w in one round trip, and prunes expired keys (more than it
// adds, so the keys kept stay bounded).
func (w *pgWrite) send(tx pgTx, now, expiredBefore time.Time) error {
	b := &pgx.Batch{}
	if len(w.keys) > 0 {
		b.Queue(`INSERT INTO analytics_idempotency (key, sum, stored_at, reply)
			SELECT k, s, $4, r FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS t(k, s, r)
			ON CONFLICT (key) DO UPDATE SET sum = EXCLUDED.sum, stored_at = EXCLUDED.stored_at, reply = EXCLUDED.reply`,
			w.keys, w.sums, w.replies, now)
	}
	if len(w.datas) > 0 {
		// The sequence numbers were taken under the append lock (lookup);
		// the checksum covers them, so they are written as computed.
		b.Queue(`INSERT INTO analytics_entries (kind, seq, data, checksum)
			SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[], $4::bigint[])`,
			w.kinds, w.seqs, w.datas, w.checks)
		b.Queue("SELECT setval('analytics_entry_seq', $1)", w.seqs[len(w.seqs)-1])
		b.Queue("UPDATE analytics_usage SET bytes = bytes + $1", w.added)
	}
	b.Queue(`DELETE FROM analytics_idempotency WHERE key IN (
		SELECT key FROM analytics_idempotency WHERE stored_at <= $1 ORDER BY stored_at LIMIT $2)`,
		expiredBefore, store.PrunePerKey*len(w.keys)+store.PrunePerCommit)
	if err := tx.SendBatch(tx.ctx, b).Close(); err != nil {
		return fmt.Errorf("put entries: %w", err)
	}
	return nil
}

// Scan implements Store, a page at a time in arrival order; no transaction
// or connection is held while fn runs.
func (s *Store) Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	if err := store.CheckKind(kind); err != nil {
		return fmt.Errorf("store: scan %s: %w", kind.Collection(), err)
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return store.ScanPages(ctx, kind, after, s.scanPage, func(after uint64) ([]store.Entry, error) {
		return s.readPage(ctx, kind, after)
	}, fn)
}

// readPage returns up to s.scanPage sound entries of kind after after;
// an entry that fails its checksum is left out and set aside.
func (s *Store) readPage(ctx context.Context, kind store.Kind, after uint64) ([]store.Entry, error) {
	var page []store.Entry
	for {
		rows, err := s.pool.Query(ctx, `SELECT seq, data, checksum FROM analytics_entries
			WHERE kind = $1 AND seq > $2 ORDER BY seq LIMIT $3`, int16(kind), int64(after), s.scanPage-len(page))
		if err != nil {
			return nil, err
		}
		var seq int64
		var data []byte
		var sum *int64
		n := 0
		type bad struct {
			seq  int64
			data []byte
			err  error
		}
		var damaged []bad
		_, err = pgx.ForEachRow(rows, []any{&seq, &data, &sum}, func() error {
			n++
			after = uint64(seq)
			if err := verify(kind, seq, data, sum); err != nil {
				damaged = append(damaged, bad{seq, bytes.Clone(data), err})
				return nil
			}
			page = append(page, store.Entry{Seq: uint64(seq), Data: bytes.Clone(data)})
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, d := range damaged {
			s.setAside(ctx, kind, d.seq, d.data, d.err)
		}
		if len(damaged) == 0 || len(page) == s.scanPage || n == 0 {
			return page, nil
		}
	}
}

// DeleteThrough implements Store.
func (s *Store) DeleteThrough(ctx context.Context, kind store.Kind, seq uint64) error {
	if err := store.CheckKind(kind); err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	var n int64
	err := s.pool.QueryRow(ctx, `WITH d AS (
			DELETE FROM analytics_entries WHERE kind = $1 AND seq <= $2 RETURNING octet_length(data) AS n),
		u AS (UPDATE analytics_usage SET bytes = bytes - (SELECT coalesce(sum(n + $3), 0) FROM d))
		SELECT count(*) FROM d`, int16(kind), int64(seq), store.EntryOverhead).Scan(&n)
	if err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
	}
	s.log.Debug("store deleted entries", "kind", kind.Collection(), "through", seq, "count", n)
	return nil
}

// Count implements store.Store: it reads the count the triggers on the
// entries table keep (migrations/0003_counts.sql).
func (s *Store) Count(ctx context.Context, kind store.Kind) (int, error) {
	column := "events"
	if kind == store.Snapshots {
		column = "snapshots"
	}
	if err := store.CheckKind(kind); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT "+column+" FROM analytics_usage").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	return int(n), nil
}

// UsedBytes implements store.Store: the room the entries take, as MaxBytes
// counts it.
func (s *Store) UsedBytes(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT bytes FROM analytics_usage").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: used bytes: %w", err)
	}
	return n, nil
}

// keyCount returns how many idempotency keys are kept, expired ones not yet
// pruned included (for tests).
func (s *Store) keyCount(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM analytics_idempotency").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count keys: %w", err)
	}
	return n, nil
}

// TryExclusive runs fn while this replica holds the site-wide check-in lock,
// and reports false without running fn when another replica holds it. The
// lock is a session advisory lock on one pooled connection, so it is
// released when fn returns or when this replica's connection dies.
func (s *Store) TryExclusive(ctx context.Context, fn func(context.Context) error) (bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("store: check-in lock: %w", err)
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", int64(lockCheckIn)).Scan(&got); err != nil {
		return false, fmt.Errorf("store: check-in lock: %w", err)
	}
	if !got {
		return false, nil
	}
	defer func() {
		// A failed unlock (the connection died) releases the lock anyway:
		// the session is gone. Drop the connection rather than reuse it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockCheckIn)); err != nil {
			_ = conn.Conn().Close(context.Background())
		}
	}()
	return true, fn(ctx)
}

// LastCheckIn returns when a replica last recorded a check-in with
// NoteCheckIn; ok is false when none has.
func (s *Store) LastCheckIn(ctx context.Context) (at time.Time, ok bool, err error) {
	err = s.pool.QueryRow(ctx, "SELECT at FROM analytics_checkin").Scan(&at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, false, nil
	case err != nil:
		return time.Time{}, false, fmt.Errorf("store: last check-in: %w", err)
	}
	return at, true, nil
}

// NoteCheckIn records that the site checked in at at.
func (s *Store) NoteCheckIn(ctx context.Context, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO analytics_checkin (at) VALUES ($1)
		ON CONFLICT (one) DO UPDATE SET at = EXCLUDED.at`, at)
	if err != nil {
		return fmt.Errorf("store: note check-in: %w", err)
	}
	return nil
}

// migration is one schema version.
type migration struct {
	version int
	name    string
	sql     string
}

// knownMigrations lists the embedded migrations in version order.
func knownMigrations() ([]migration, error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, f := range files {
		base := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: no version number", f)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int {
	ms, err := knownMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// ErrSchemaTooNew is returned by Open for a database migrated by a
// newer version of the service.
var ErrSchemaTooNew = errors.New("store: the database schema is newer than this service knows")

// migrate applies the migrations the database lacks, each in its own
// transaction, holding a session advisory lock so that one replica migrates
// while the others wait.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	ms, err := knownMigrations()
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(lockMigrate)); err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(lockMigrate))
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS analytics_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("store: schema table: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM analytics_schema").Scan(&have); err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if latest := ms[len(ms)-1].version; have > latest {
		return fmt.Errorf("%w: the database is at version %d, this service knows up to %d; run a newer analyticsd", ErrSchemaTooNew, have, latest)
	}
	for _, m := range ms {
		if m.version <= have {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO analytics_schema (version) VALUES ($1)", m.version)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		log.Info("database schema migrated", "version", m.version, "migration", m.name)
	}
	return nil
}

// Newest implements store.Newest.
func (s *Store) Newest(ctx context.Context, kind store.Kind) (uint64, error) {
	if err := store.CheckKind(kind); err != nil {
		return 0, fmt.Errorf("store: newest %s: %w", kind.Collection(), err)
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var seq int64
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM analytics_entries WHERE kind = $1", int16(kind)).Scan(&seq); err != nil {
		return 0, fmt.Errorf("store: newest %s: %w", kind.Collection(), err)
	}
	return uint64(seq), nil
}
