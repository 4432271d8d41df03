package pgstore

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/store"
)

// fillBatch is how many rows one statement of fillChecksums updates.
const fillBatch = 1000

// fillChecksums computes the checksum of the rows written before
// migrations/0004_checksums.sql (or by a replica of an older version during
// a rolling upgrade), a batch at a time. Replicas doing it together write
// the same values.
func fillChecksums(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	total := 0
	for {
		rows, err := pool.Query(ctx, `SELECT kind, seq, data FROM analytics_entries WHERE checksum IS NULL LIMIT $1`, fillBatch)
		if err != nil {
			return fmt.Errorf("store: fill checksums: %w", err)
		}
		var kinds []int16
		var seqs, sums []int64
		var kind int16
		var seq int64
		var data []byte
		_, err = pgx.ForEachRow(rows, []any{&kind, &seq, &data}, func() error {
			kinds, seqs, sums = append(kinds, kind), append(seqs, seq), append(sums, int64(store.Checksum(uint64(seq), data)))
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: fill checksums: %w", err)
		}
		if len(seqs) == 0 {
			break
		}
		_, err = pool.Exec(ctx, `UPDATE analytics_entries e SET checksum = t.c
			FROM unnest($1::smallint[], $2::bigint[], $3::bigint[]) AS t(k, s, c)
			WHERE e.kind = t.k AND e.seq = t.s AND e.checksum IS NULL`, kinds, seqs, sums)
		if err != nil {
			return fmt.Errorf("store: fill checksums: %w", err)
		}
		total += len(seqs)
	}
	if total > 0 {
		log.Info("store: checksums computed for entries stored before them", "entries", total)
	}
	return nil
}

// verify returns the data of a row read with its checksum: a row without
// one (see fillChecksums) is read unchecked.
func verify(kind store.Kind, seq int64, data []byte, sum *int64) error {
	if sum == nil {
		return nil
	}
	if got := store.Checksum(uint64(seq), data); int64(got) != *sum {
		return &store.ChecksumError{Kind: kind, Seq: uint64(seq), Problem: fmt.Sprintf("checksum %08x, the data sums to %08x", uint32(*sum), got)}
	}
	return nil
}

// setAside moves a damaged entry to analytics_quarantine and takes it off
// the room in use (the triggers take it off the counts), provided the row
// is still as it was read; it logs one ERROR naming it.
func (s *Store) setAside(ctx context.Context, kind store.Kind, seq int64, data []byte, why error) {
	var moved int
	err := s.pool.QueryRow(ctx, `WITH d AS (
			DELETE FROM analytics_entries WHERE kind = $1 AND seq = $2 AND data = $3 RETURNING kind, seq, data, checksum),
		u AS (UPDATE analytics_usage SET bytes = bytes - (SELECT coalesce(sum(octet_length(data) + $4), 0) FROM d)),
		q AS (INSERT INTO analytics_quarantine (kind, seq, data, checksum) SELECT * FROM d ON CONFLICT DO NOTHING)
		SELECT count(*) FROM d`, int16(kind), seq, data, store.EntryOverhead).Scan(&moved)
	switch {
	case err != nil:
		s.log.Error("store entry damaged: not served; setting it aside failed", "kind", kind.Collection(), "seq", seq, "err", err)
	case moved > 0:
		s.log.Error("store entry damaged: set aside in quarantine, not served or uploaded", "kind", kind.Collection(), "seq", seq, "err", why)
	}
}

// Quarantined implements store.Quarantiner.
func (s *Store) Quarantined(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM analytics_quarantine").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: quarantined: %w", err)
	}
	return n, nil
}
