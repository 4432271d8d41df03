package analytics

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/analytics-client/analytics/internal/spool"
)

// A spooled record is the item kind (1 byte), its idempotency key (32 hex
// bytes), its enqueue time (Unix nanoseconds, 8 bytes big-endian) and the
// encoded payload. The key lives in the record, not in the spool's ids,
// because it must be unique across every reporter that talks to a service.
const recordHeader = 1 + 32 + 8

func encodeRecord(kind itemKind, key string, at time.Time, body []byte) []byte {
	rec := make([]byte, recordHeader, recordHeader+len(body))
	rec[0] = byte(kind)
	copy(rec[1:33], key)
	binary.BigEndian.PutUint64(rec[33:41], uint64(at.UnixNano()))
	return append(rec, body...)
}

func decodeRecord(rec []byte) (*item, error) {
	if len(rec) < recordHeader || (itemKind(rec[0]) != kindEvent && itemKind(rec[0]) != kindSnapshot) {
		return nil, errors.New("record too short or of unknown kind")
	}
	p := &item{
		kind: itemKind(rec[0]),
		key:  string(rec[1:33]),
		at:   int64(binary.BigEndian.Uint64(rec[33:41])),
		body: rec[recordHeader:],
		size: int64(len(rec)),
	}
	if !json.Valid(p.body) {
		return nil, errors.New("payload is not JSON")
	}
	return p, nil
}

func (r *Reporter) openSpool() error {
	pol := spool.SyncAlways
	if r.opts.Sync == SyncPeriodic {
		pol = spool.SyncPeriodic
	}
	sp, err := spool.Open(r.opts.Dir, spool.Options{
		MaxBytes: r.opts.MaxBytes, Sync: pol, SyncInterval: r.opts.SyncInterval, Logger: r.log,
	})
	if err != nil {
		return fmt.Errorf("analytics: NewReporter: %w", err)
	}
	r.spool = sp
	// The queue's own bound is the spool's: recovered and new items are
	// admitted by the spool.
	r.q.maxBytes = 1<<63 - 1
	for _, rec := range sp.Pending() {
		p, err := decodeRecord(rec.Data)
		if err != nil {
			r.log.Warn("analytics: skipping unreadable spooled record", slog.Uint64("id", rec.ID), slog.Any("error", err))
			r.q.countDrop(DropCorrupt, 1)
			if err := sp.Ack(rec.ID); err != nil {
				return fmt.Errorf("analytics: NewReporter: %w", err)
			}
			continue
		}
		p.spoolID = rec.ID
		r.q.pushDurable(p)
	}
	return nil
}

// enqueueDurable spools an event or snapshot before queueing it.
func (r *Reporter) enqueueDurable(kind itemKind, e Event, fields Fields) error {
	if r.q.isClosed() {
		return ErrClosed
	}
	if kind == kindSnapshot {
		return r.q.pushSnapshot(fields, 0, r.persistSnapshot)
	}
	body, err := json.Marshal(e)
	if err != nil {
		return &ValidationError{Path: "event", Reason: "cannot be encoded: " + err.Error()}
	}
	key, now := newID(), time.Now()
	rec := encodeRecord(kindEvent, key, now, body)
	id, err := r.append(rec)
	if err != nil {
		return err
	}
	r.q.pushDurable(&item{kind: kindEvent, body: body, key: key, spoolID: id, size: int64(len(rec)), at: now.UnixNano()})
	return nil
}

// persistSnapshot spools a snapshot; it runs under the queue's lock so a
// merge and its spooling are one step.
func (r *Reporter) persistSnapshot(fields Fields, replaces uint64) (uint64, []byte, string, int64, error) {
	body, err := json.Marshal(Snapshot{Fields: fields})
	if err != nil {
		return 0, nil, "", 0, &ValidationError{Path: "fields", Reason: "cannot be encoded: " + err.Error()}
	}
	key := newID()
	rec := encodeRecord(kindSnapshot, key, time.Now(), body)
	id, err := r.append(rec)
	if err != nil {
		return 0, nil, "", 0, err
	}
	if replaces != 0 {
		if err := r.spool.Ack(replaces); err != nil {
			r.log.Warn("analytics: cannot retire a merged snapshot; it may be sent too", slog.Any("error", err))
		}
	}
	return id, body, key, int64(len(rec)), nil
}

func (r *Reporter) append(rec []byte) (uint64, error) {
	id, err := r.spool.Append(rec)
	switch {
	case errors.Is(err, spool.ErrFull):
		r.q.countDrop(DropQueueFull, 1)
		return 0, fmt.Errorf("%w: %w", ErrQueueFull, err)
	case errors.Is(err, spool.ErrClosed):
		return 0, ErrClosed
	case err != nil:
		return 0, fmt.Errorf("analytics: spool: %w", err)
	}
	return id, nil
}
