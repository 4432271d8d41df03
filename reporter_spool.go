package analytics

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/logthrottle"
	"github.com/analytics-client/analytics/internal/spool"
)

// A spooled record is the item kind (1 byte), its idempotency key (32 hex
// bytes), its enqueue time (Unix nanoseconds, 8 bytes big-endian) and the
// encoded payload. The key lives in the record, not in the spool's ids,
// because it must be unique across every reporter that talks to a service.
const recordHeader = 1 + 32 + 8

func encodeRecord(kind Kind, key string, at int64, body []byte) []byte {
	rec := make([]byte, recordHeader, recordHeader+len(body))
	putRecordHeader(rec, kind, key, at)
	return append(rec, body...)
}

func putRecordHeader(rec []byte, kind Kind, key string, at int64) {
	rec[0] = byte(kind)
	copy(rec[1:33], key)
	binary.BigEndian.PutUint64(rec[33:41], uint64(at))
}

// scratch holds the buffers records are encoded in before they are
// appended to the spool, which copies them.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// newRecord returns a record of kind with a new key and enqueue time, the
// payload appended by encode after its header, in a scratch buffer that
// the caller gives back with releaseRecord once the spool has it.
func (r *Reporter) newRecord(kind Kind, encode func([]byte) ([]byte, error)) ([]byte, *[]byte, error) {
	buf := scratch.Get().(*[]byte)
	b := append((*buf)[:0], make([]byte, recordHeader)...)
	now := r.clock.Now().UnixNano()
	b[0] = byte(kind)
	appendID(b[1:1:33], now)
	binary.BigEndian.PutUint64(b[33:41], uint64(now))
	b, err := encode(b)
	if err != nil {
		releaseRecord(buf, b)
		return nil, nil, &ValidationError{Path: kind.String(), Reason: "cannot be encoded: " + err.Error()}
	}
	return b, buf, nil
}

// releaseRecord gives back rec's scratch buffer, keeping it grown but not
// huge.
func releaseRecord(buf *[]byte, rec []byte) {
	if cap(rec) <= 64<<10 {
		*buf = rec[:0]
	}
	scratch.Put(buf)
}

// decodeRecord checks a record recovered from the spool and returns its
// item. A snapshot keeps its record (a newer one is merged into it); an
// event's is read back when it is sent.
func decodeRecord(rec []byte) (*item, error) {
	if len(rec) < recordHeader || (Kind(rec[0]) != KindEvent && Kind(rec[0]) != KindSnapshot) {
		return nil, errors.New("record too short or of unknown kind")
	}
	if !json.Valid(rec[recordHeader:]) {
		return nil, errors.New("payload is not JSON")
	}
	p := &item{
		kind:  Kind(rec[0]),
		inRec: true,
		at:    int64(binary.BigEndian.Uint64(rec[33:41])),
		size:  int64(len(rec)),
	}
	if p.kind == KindSnapshot {
		p.body = bytes.Clone(rec) // not the spool's buffer of the whole segment
	}
	return p, nil
}

// errUnreadable means a durable item's record could not be read back.
var errUnreadable = errors.New("analytics: spooled record unreadable")

// load reads p's record back from the spool, once, before its first
// attempt. Under r.spmu, so that a recreation of the spool, which loads
// every record still in the lost one, and the worker that owns p do not
// both set it.
func (r *Reporter) load(p *item) error {
	if !p.inRec { // memory mode: fixed at enqueue
		return nil
	}
	r.spmu.RLock()
	defer r.spmu.RUnlock()
	if p.body != nil {
		return nil
	}
	if r.spool == nil || p.spoolID == 0 {
		return fmt.Errorf("%w: not in the spool", errUnreadable)
	}
	rec, err := r.spool.Read(make([]byte, 0, p.size+24), p.spoolID)
	if errors.Is(err, spool.ErrClosed) {
		return err // Close began: the record stays on disk for the next reporter
	}
	if err == nil && (len(rec) < recordHeader || Kind(rec[0]) != p.kind) {
		err = errors.New("record header does not match")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", errUnreadable, err)
	}
	p.body = rec
	return nil
}

// errNoSpool stands for a spool that was lost and not yet recreated.
var errNoSpool = errors.New("no spool open")

func (r *Reporter) openSpool() error {
	r.spoolLog = logthrottle.New(r.log, time.Minute, r.clock.Now)
	r.spoolLost = make(chan struct{}, 1)
	// The queue's own bound is the spool's: recovered and new items are
	// admitted by the spool.
	r.q.maxBytes = 1<<63 - 1
	sp, err := r.newSpool()
	if err != nil {
		return fmt.Errorf("analytics: NewReporter: %w", err)
	}
	r.spool = sp
	if err := r.queueRecovered(sp); err != nil {
		sp.Close()
		return fmt.Errorf("analytics: NewReporter: %w", err)
	}
	return nil
}

func (r *Reporter) newSpool() (*spool.Spool, error) {
	return spool.Open(r.opts.Dir, spool.Options{
		MaxBytes: r.opts.MaxBytes, Sync: r.opts.Sync.spool(), SyncInterval: r.opts.SyncInterval, Logger: r.log,
		Fsync: spoolFsync(r.opts.fsync), Write: spoolWrite(r.opts.write), CheckInterval: r.opts.spoolCheck,
		OnLost: func(error) {
			select {
			case r.spoolLost <- struct{}{}:
			default:
			}
		},
	})
}

// watchSpool recreates the spool when its background check finds it lost,
// so that a directory removed while the program makes no calls is noticed,
// logged and counted (SpoolLost) within CheckInterval, and the pending
// items are on disk again.
func (r *Reporter) watchSpool() {
	defer r.tickers.Done()
	for {
		select {
		case <-r.spoolLost:
		case <-r.stopCtx.Done():
			return
		}
		r.spmu.RLock()
		sp := r.spool
		r.spmu.RUnlock()
		if sp != nil {
			_ = r.recreateSpool(sp, spool.ErrLost) // logged there; Event reports it
		}
	}
}

// queueRecovered queues the records an opened spool found on disk.
func (r *Reporter) queueRecovered(sp *spool.Spool) error {
	for _, rec := range sp.Pending() {
		p, err := decodeRecord(rec.Data)
		if err != nil {
			r.log.Warn("analytics: skipping unreadable spooled record", slog.Uint64("id", rec.ID), slog.Any("error", err))
			r.q.countDrop(DropCorrupt, 1)
			if err := sp.Ack(rec.ID); err != nil {
				return err
			}
			continue
		}
		p.spoolID = rec.ID
		r.q.pushDurable(p)
	}
	return nil
}

// eventRecord encodes a durable event's record, in a scratch buffer to give
// back with releaseRecord, and the item that will be queued once it is
// spooled. The item keeps no copy of the record (see load).
func (r *Reporter) eventRecord(e Event) ([]byte, *[]byte, item, error) {
	if r.q.isClosed() {
		return nil, nil, item{}, ErrClosed
	}
	rec, buf, err := r.newRecord(KindEvent, func(b []byte) ([]byte, error) { return appendEventJSON(b, e) })
	if err != nil {
		return nil, nil, item{}, err
	}
	p := item{kind: KindEvent, inRec: true, size: int64(len(rec)),
		at: int64(binary.BigEndian.Uint64(rec[33:41]))}
	return rec, buf, p, nil
}

// enqueueSnapshot spools a snapshot, merged into the one still waiting in
// the queue if there is one, and queues it in that one's place. Durable
// snapshots are merged one at a time (snapMu), so that the queue's lock
// need not be held across the fsync.
func (r *Reporter) enqueueSnapshot(fields Fields) error {
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	old, err := r.q.pendingSnapshot()
	if err != nil {
		return err
	}
	merged := fields
	if old != nil {
		base := old.event.Metadata
		if base == nil {
			// Recovered from the spool: only the encoded form is known.
			var s Snapshot
			if err := decodeJSON(old.payload(), &s); err == nil {
				base = s.Fields
			}
		}
		merged = mergeFields(base, fields)
	}
	rec, buf, err := r.newRecord(KindSnapshot, func(b []byte) ([]byte, error) { return appendSnapshotJSON(b, merged) })
	if err != nil {
		return err
	}
	scratchRec := rec
	rec = bytes.Clone(rec) // a waiting snapshot keeps its record, to merge newer ones into
	releaseRecord(buf, scratchRec)
	p := &item{kind: KindSnapshot, inRec: true, event: Event{Metadata: merged}, body: rec, size: int64(len(rec)),
		at: int64(binary.BigEndian.Uint64(rec[33:41]))}
	return r.appendDurable(rec, p, old)
}

// appendDurable appends rec, p's record, to the spool and, still holding
// the spool shared, queues p under its new spool ID, so that a recreation
// of the spool rewrites the item if it comes after the append. A snapshot
// takes the place of old, the one it was merged with, if that is still
// waiting. A spool found lost is recreated and the append made again.
func (r *Reporter) appendDurable(rec []byte, p, old *item) error {
	for retried := false; ; retried = true {
		r.spmu.RLock()
		sp := r.spool
		id, err := uint64(0), errNoSpool
		if sp != nil {
			id, err = sp.Append(rec)
		}
		if err == nil {
			p.spoolID = id
			r.queueSpooled(sp, p, old)
		}
		r.spmu.RUnlock()
		lost := errors.Is(err, errNoSpool) || errors.Is(err, spool.ErrLost)
		if !lost || retried {
			return r.appendError(err)
		}
		if err := r.recreateSpool(sp, err); err != nil {
			return err
		}
	}
}

// queueSpooled queues p, just spooled in sp (see appendDurable).
func (r *Reporter) queueSpooled(sp *spool.Spool, p, old *item) {
	if p.kind != KindSnapshot {
		r.q.pushDurable(p)
		return
	}
	if replaced := r.q.commitSnapshot(old, p); replaced != 0 {
		if err := sp.Ack(replaced); err != nil {
			r.warnSpool("retire", "analytics: cannot retire a merged snapshot; it may be sent too", err)
		}
	}
}

func (r *Reporter) appendError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, spool.ErrFull):
		return fmt.Errorf("%w: %w", ErrQueueFull, err)
	case errors.Is(err, spool.ErrClosed):
		return ErrClosed
	case errors.Is(err, errNoSpool), errors.Is(err, spool.ErrLost):
		return fmt.Errorf("%w: %w", ErrSpoolLost, err)
	}
	return fmt.Errorf("analytics: spool: %w", err)
}

// ack records in the spool that p is done.
func (r *Reporter) ack(p *item) {
	if p.spoolID == 0 || r.spool == nil {
		return
	}
	if err := r.spool.Ack(p.spoolID); err != nil && !errors.Is(err, spool.ErrLost) {
		r.warnSpool("ack", "analytics: cannot record deliveries in the spool yet; retrying, and a restart meanwhile sends them again", err)
	}
}

// warnSpool logs a spool problem once per interval for each key, however
// many items it concerns.
func (r *Reporter) warnSpool(key, msg string, err error) {
	r.spoolLog.Log(context.Background(), slog.LevelWarn, key, msg, slog.String("dir", r.opts.Dir), slog.Any("error", err))
}

// recreateSpool replaces lost, a spool found removed or replaced (nil if
// an earlier attempt already closed it), with a new one in the same
// directory, and writes every pending item to it again. It returns an
// error wrapping ErrSpoolLost if that fails.
func (r *Reporter) recreateSpool(lost *spool.Spool, cause error) error {
	r.spmu.Lock()
	defer r.spmu.Unlock()
	if r.spool != lost {
		return nil // recreated meanwhile
	}
	items := r.q.pendingItems()
	if lost != nil {
		r.loadAll(lost, items)
		lost.Close() // releases its files; it reports the loss again
		r.spool = nil
		r.q.countSpoolLost()
		r.log.Error("analytics: spool directory removed or replaced; recreating it and writing the pending items again",
			slog.String("dir", r.opts.Dir), slog.Int("pending", len(items)), slog.Any("error", cause))
	}
	sp, err := r.newSpool()
	if err == nil {
		err = r.rewrite(sp, items)
		if err != nil {
			sp.Close()
		}
	}
	if err != nil {
		r.spoolLog.Log(context.Background(), slog.LevelError, "recreate",
			"analytics: cannot recreate the spool; pending items are not on disk and new ones are refused",
			slog.String("dir", r.opts.Dir), slog.Int("pending", len(items)), slog.Any("error", err))
		return fmt.Errorf("%w: %d pending items not on disk: %w", ErrSpoolLost, len(items), err)
	}
	r.spool = sp
	return r.queueRecovered(sp)
}

// loadAll reads the records of items not loaded yet from lost, a spool
// found removed or replaced whose files are still open, so that they can
// be written again; they stay loaded. A record that cannot be read loses
// its spool ID, and its worker drops it (load). r.spmu is held
// exclusively.
func (r *Reporter) loadAll(lost *spool.Spool, items []*item) {
	for _, p := range items {
		if !p.inRec || p.body != nil || p.spoolID == 0 {
			continue
		}
		rec, err := lost.Read(make([]byte, 0, p.size+24), p.spoolID)
		if err != nil {
			r.log.Error("analytics: cannot read a pending item back from the lost spool; it is dropped",
				slog.Uint64("id", p.spoolID), slog.Any("error", err))
			p.spoolID = 0
			continue
		}
		p.body = rec
	}
}

// rewrite appends the pending items to a new spool under one fsync and
// gives them their new IDs; an item whose record could not be read is
// left out. r.spmu is held exclusively.
func (r *Reporter) rewrite(sp *spool.Spool, items []*item) error {
	items = slices.DeleteFunc(slices.Clone(items), func(p *item) bool { return p.inRec && p.body == nil })
	recs := make([][]byte, len(items))
	for i, p := range items {
		recs[i] = p.record()
	}
	ids, err := sp.AppendAll(recs)
	if err != nil {
		return err
	}
	for i, p := range items {
		p.spoolID = ids[i]
	}
	return nil
}

// closeSpool closes the spool at Close. A spool found lost then is
// recreated with the pending items first, so that what Close reports as
// kept on disk is.
func (r *Reporter) closeSpool(pending int) error {
	r.spmu.RLock()
	sp := r.spool
	r.spmu.RUnlock()
	err := errNoSpool
	if sp != nil {
		// A sync first notices a lost spool while its files are still
		// open, so that the records can be read back and written again.
		err = sp.Sync()
		if !errors.Is(err, spool.ErrLost) {
			err = errors.Join(err, sp.Close())
		}
	}
	if errors.Is(err, errNoSpool) || errors.Is(err, spool.ErrLost) {
		if err := r.recreateSpool(sp, err); err != nil {
			return fmt.Errorf("analytics: close reporter: %w", err)
		}
		r.spmu.RLock()
		err = r.spool.Close()
		r.spmu.RUnlock()
	}
	if err != nil {
		return fmt.Errorf("analytics: close reporter: %d pending items may not be on disk: %w", pending, err)
	}
	return nil
}

// mergeFields returns fields laid over base: newest value per field wins.
func mergeFields(base, fields Fields) Fields {
	merged := make(Fields, len(base)+len(fields))
	maps.Copy(merged, base)
	maps.Copy(merged, fields)
	return merged
}

// spoolFsync adapts the tests' fsync hook, on the spool's files on disk, to
// the spool's file seam; nil stays nil (the spool's own fsync).
func spoolFsync(fsync func(*os.File) error) func(logfs.File) error {
	if fsync == nil {
		return nil
	}
	return func(f logfs.File) error { return fsync(logfs.OSFile(f)) }
}

// spoolWrite adapts the tests' write hook as spoolFsync does.
func spoolWrite(write func(*os.File, []byte, int64) (int, error)) func(logfs.File, []byte, int64) (int, error) {
	if write == nil {
		return nil
	}
	return func(f logfs.File, b []byte, off int64) (int, error) { return write(logfs.OSFile(f), b, off) }
}
