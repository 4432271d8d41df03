package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/analytics-client/analytics/internal/store"
)

// ErrNotEmpty is returned by Import for a database that holds entries, or
// that received a store already.
var ErrNotEmpty = errors.New("store: the database is not empty")

// Source is a store Import copies from; a *boltstore.Store is one.
type Source interface {
	// Scan is store.Store.Scan: every entry of kind after after, in arrival
	// order, a page at a time.
	Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error
	// ScanKeys calls fn for every remembered idempotency key.
	ScanKeys(ctx context.Context, fn func(store.RememberedKey) error) error
}

// ImportStats counts what Import copied.
type ImportStats struct {
	Events, Snapshots int   // entries copied
	Keys              int   // idempotency keys copied
	ExpiredKeys       int   // keys of the source past the retention, not copied
	Bytes             int64 // room the entries take, as Options.MaxBytes counts it
}

// Import batching: rows sent in one statement. The source is read a page at
// a time and at most one batch is held, so a store of any size is copied in
// bounded memory.
const (
	importBatch      = 1000
	importBatchBytes = 4 << 20
)

// Import copies every entry of src, both collections with their sequence
// numbers (so in arrival order), and its unexpired idempotency keys with
// their stored-at time, sum and reply (so a client retrying after the move
// still gets its first answer), into this store. source names src in the
// record the database keeps of the import.
//
// The copy is one transaction: interrupted (ctx cancelled, the connection
// lost, the process killed), it leaves the database as it was, and running
// it again starts over. It holds the append lock while it runs, so replicas
// already serving on the database wait for it. It fails with ErrNotEmpty,
// copying nothing, when the database holds entries or recorded an import
// that copied anything.
func (s *Store) Import(ctx context.Context, src Source, source string) (ImportStats, error) {
	if s.closed.Load() {
		return ImportStats{}, store.ErrClosed
	}
	var st ImportStats
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(lockAppend)); err != nil {
			return fmt.Errorf("append lock: %w", err)
		}
		if err := refuseNonEmpty(ctx, tx); err != nil {
			return err
		}
		im := &importer{tx: tx, st: &st, expiredBefore: s.clock.Now().Add(-s.retention)}
		if err := im.run(ctx, src); err != nil {
			return err
		}
		return im.finish(ctx, source, s.now())
	})
	switch {
	case errors.Is(err, ErrNotEmpty):
		return ImportStats{}, err // says all, and nothing was read
	case err != nil:
		return ImportStats{}, fmt.Errorf("store: import %s: %w", source, err)
	}
	s.log.Info("store imported", "source", source, "events", st.Events, "snapshots", st.Snapshots, "keys", st.Keys, "expired-keys", st.ExpiredKeys)
	return st, nil
}

// refuseNonEmpty fails with ErrNotEmpty when the database holds entries or
// received a store already.
func refuseNonEmpty(ctx context.Context, tx pgx.Tx) error {
	var entries int64
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM analytics_entries").Scan(&entries); err != nil {
		return fmt.Errorf("count entries: %w", err)
	}
	if entries > 0 {
		return fmt.Errorf("%w: it holds %d entries; stores are copied into an empty database only", ErrNotEmpty, entries)
	}
	var from string
	var at time.Time
	err := tx.QueryRow(ctx, "SELECT source, imported_at FROM analytics_imports ORDER BY imported_at LIMIT 1").Scan(&from, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("earlier imports: %w", err)
	}
	return fmt.Errorf("%w: it received %s on %s already; copying a store again would upload its entries twice",
		ErrNotEmpty, from, at.UTC().Format(time.RFC3339))
}

// importer sends what Import reads in batches.
type importer struct {
	tx            pgx.Tx
	st            *ImportStats
	expiredBefore time.Time
	maxSeq        uint64

	kinds []int16
	seqs  []int64
	datas [][]byte
	sums  []int64 // the entries' checksums
	keys  []store.RememberedKey
	held  int // bytes in the batch
}

// run copies both collections, then the keys.
func (im *importer) run(ctx context.Context, src Source) error {
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		last := uint64(0)
		err := src.Scan(ctx, kind, 0, func(e store.Entry) error {
			if e.Seq <= last || e.Seq > math.MaxInt64 {
				return fmt.Errorf("%s: entry %d after %d: not in arrival order", kind, e.Seq, last)
			}
			last = e.Seq
			return im.addEntry(ctx, kind, e)
		})
		if err != nil {
			return err
		}
	}
	err := src.ScanKeys(ctx, func(k store.RememberedKey) error {
		if !k.StoredAt.After(im.expiredBefore) {
			im.st.ExpiredKeys++
			return nil
		}
		im.keys = append(im.keys, k)
		im.held += len(k.Key) + len(k.Sum) + len(k.Reply)
		return im.flushIfFull(ctx)
	})
	if err != nil {
		return err
	}
	return im.flush(ctx)
}

func (im *importer) addEntry(ctx context.Context, kind store.Kind, e store.Entry) error {
	data := e.Data
	if data == nil {
		data = []byte{}
	}
	im.kinds, im.seqs, im.datas = append(im.kinds, int16(kind)), append(im.seqs, int64(e.Seq)), append(im.datas, data)
	im.sums = append(im.sums, int64(store.Checksum(e.Seq, data)))
	im.held += len(data)
	im.st.Bytes += int64(len(data) + store.EntryOverhead)
	if kind == store.Events {
		im.st.Events++
	} else {
		im.st.Snapshots++
	}
	im.maxSeq = max(im.maxSeq, e.Seq)
	return im.flushIfFull(ctx)
}

func (im *importer) flushIfFull(ctx context.Context) error {
	if len(im.seqs)+len(im.keys) < importBatch && im.held < importBatchBytes {
		return nil
	}
	return im.flush(ctx)
}

// flush sends the batch held in one round trip.
func (im *importer) flush(ctx context.Context) error {
	b := &pgx.Batch{}
	if len(im.seqs) > 0 {
		b.Queue(`INSERT INTO analytics_entries (kind, seq, data, checksum)
			SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[], $4::bigint[])`, im.kinds, im.seqs, im.datas, im.sums)
	}
	if len(im.keys) > 0 {
		keys, sums, replies, ats := make([]string, len(im.keys)), make([][]byte, len(im.keys)), make([][]byte, len(im.keys)), make([]time.Time, len(im.keys))
		for i, k := range im.keys {
			keys[i], sums[i], replies[i], ats[i] = k.Key, k.Sum, k.Reply, k.StoredAt
		}
		// A key the database remembers already (a replica served before
		// the copy) keeps the newer of the two records.
		b.Queue(`INSERT INTO analytics_idempotency (key, sum, stored_at, reply)
			SELECT * FROM unnest($1::text[], $2::bytea[], $3::timestamptz[], $4::bytea[])
			ON CONFLICT (key) DO UPDATE SET sum = EXCLUDED.sum, stored_at = EXCLUDED.stored_at, reply = EXCLUDED.reply
			WHERE EXCLUDED.stored_at > analytics_idempotency.stored_at`, keys, sums, ats, replies)
		im.st.Keys += len(im.keys)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := im.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("copy entries: %w", err)
	}
	im.kinds, im.seqs, im.datas, im.sums, im.keys, im.held = im.kinds[:0], im.seqs[:0], im.datas[:0], im.sums[:0], im.keys[:0], 0
	return nil
}

// finish counts the room taken, moves the sequence past the entries copied
// (so later appends follow them) and records the import.
func (im *importer) finish(ctx context.Context, source string, now time.Time) error {
	if im.st.Events+im.st.Snapshots+im.st.Keys == 0 {
		return nil // nothing copied: nothing to refuse a later copy for
	}
	b := &pgx.Batch{}
	b.Queue("UPDATE analytics_usage SET bytes = bytes + $1", im.st.Bytes)
	b.Queue("INSERT INTO analytics_imports (source, imported_at, events, snapshots, keys) VALUES ($1, $2, $3, $4, $5)",
		source, now, im.st.Events, im.st.Snapshots, im.st.Keys)
	if im.maxSeq > 0 {
		// setval is not undone by a rollback; last, so that only a failed
		// commit can leave the sequence ahead (harmless: numbers are
		// skipped, never reused).
		b.Queue(`SELECT setval('analytics_entry_seq', greatest($1, (SELECT last_value FROM analytics_entry_seq)))`, int64(im.maxSeq))
	}
	if err := im.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record the import: %w", err)
	}
	return nil
}
