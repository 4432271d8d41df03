package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/store"
)

// Report is what Check finds in a database.
type Report struct {
	// Schema is the database's schema version; Known the newest this
	// binary knows (the service migrates up to it when it starts).
	Schema, Known int
	// Events and Snapshots are the entries stored, counted row by row;
	// CountedEvents, CountedSnapshots and Bytes what the store keeps
	// for constant-time reads, which must agree; Room is the room
	// recomputed from the rows.
	Events, Snapshots               int64
	CountedEvents, CountedSnapshots int64
	Bytes, Room                     int64
	// Keys is the idempotency keys kept.
	Keys int64
	// Unchecked is the entries without a checksum yet (stored before
	// schema version 4 and not yet filled in by a service start).
	Unchecked int64
	// Damaged are the entries whose data fails their checksum, still in
	// their collection; Quarantined those set aside earlier.
	Damaged, Quarantined []store.ChecksumError
}

// Sound reports whether the check found nothing wrong.
func (r Report) Sound() bool {
	return len(r.Damaged) == 0 && r.Events == r.CountedEvents && r.Snapshots == r.CountedSnapshots && r.Bytes == r.Room
}

// CheckURL connects to the database url names and checks it (see Check),
// without migrating it or writing to it. Errors are as Connect's.
func CheckURL(ctx context.Context, url string) (Report, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return Report{}, ErrBadURL
	}
	host := pc.ConnConfig.Host
	if host != "" && host[0] != '/' {
		host = net.JoinHostPort(host, strconv.Itoa(int(pc.ConnConfig.Port)))
	}
	pc.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return Report{}, &ConnectError{Host: host, Err: err}
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return Report{}, &ConnectError{Host: host, Err: fmt.Errorf("cannot connect: %w", err)}
	}
	r, err := Check(ctx, pool)
	if err != nil {
		return r, &ConnectError{Host: host, Err: err}
	}
	return r, nil
}

// ErrNoSchema is returned by Check for a database the service never
// started on.
var ErrNoSchema = errors.New("no analytics schema (the service creates it when it starts)")

// Check reads the whole store in one read-only, repeatable-read
// transaction: the schema version, the counts against the rows, and every
// entry's checksum. It writes nothing, not even to set damaged entries
// aside.
func Check(ctx context.Context, pool *pgxpool.Pool) (Report, error) {
	r := Report{Known: SchemaVersion()}
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM analytics_schema").Scan(&r.Schema)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42P01" { // undefined_table
			return ErrNoSchema
		}
		if err != nil {
			return fmt.Errorf("schema version: %w", err)
		}
		if r.Schema > r.Known {
			return fmt.Errorf("%w: the database is at version %d, this analyticsd knows up to %d", ErrSchemaTooNew, r.Schema, r.Known)
		}
		err = tx.QueryRow(ctx, `SELECT u.events, u.snapshots, u.bytes,
				(SELECT count(*) FROM analytics_entries WHERE kind = 1),
				(SELECT count(*) FROM analytics_entries WHERE kind = 2),
				(SELECT coalesce(sum(octet_length(data) + $1), 0) FROM analytics_entries),
				(SELECT count(*) FROM analytics_idempotency)
			FROM analytics_usage u`, store.EntryOverhead).
			Scan(&r.CountedEvents, &r.CountedSnapshots, &r.Bytes, &r.Events, &r.Snapshots, &r.Room, &r.Keys)
		if err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		if r.Schema < 4 {
			r.Unchecked = r.Events + r.Snapshots
			return nil
		}
		return checkRows(ctx, tx, &r)
	})
	return r, err
}

// checkRows verifies every entry's checksum, a page at a time, and lists
// the quarantined entries.
func checkRows(ctx context.Context, tx pgx.Tx, r *Report) error {
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		after := int64(0)
		for {
			rows, err := tx.Query(ctx, `SELECT seq, data, checksum FROM analytics_entries
				WHERE kind = $1 AND seq > $2 ORDER BY seq LIMIT 1000`, int16(kind), after)
			if err != nil {
				return fmt.Errorf("read entries: %w", err)
			}
			var seq int64
			var data []byte
			var sum *int64
			n, err := pgx.ForEachRow(rows, []any{&seq, &data, &sum}, func() error {
				after = seq
				if sum == nil {
					r.Unchecked++
				} else if err := verify(kind, seq, data, sum); err != nil {
					var ce *store.ChecksumError
					errors.As(err, &ce)
					r.Damaged = append(r.Damaged, *ce)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("read entries: %w", err)
			}
			if n.RowsAffected() < 1000 {
				break
			}
		}
	}
	rows, err := tx.Query(ctx, "SELECT kind, seq FROM analytics_quarantine ORDER BY kind, seq")
	if err != nil {
		return fmt.Errorf("read the quarantine: %w", err)
	}
	var kind int16
	var seq int64
	_, err = pgx.ForEachRow(rows, []any{&kind, &seq}, func() error {
		r.Quarantined = append(r.Quarantined, store.ChecksumError{Kind: store.Kind(kind), Seq: uint64(seq)})
		return nil
	})
	return err
}
