package analytics

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// item is one queued event or snapshot. In memory mode the payload stays as
// Go values until a worker encodes it, which keeps enqueue cheap. In durable
// mode body is the item's spool record; a durable event's is read back from
// the spool only when a worker sends it (Reporter.load), so that a backlog
// takes its memory once, in the spool's index, not twice.
//
// Its fields are ordered to keep it at 112 bytes (an allocation size
// class; 120 would take 128): every queued item costs one.
type item struct {
	seq      uint64 // enqueue order, for Flush
	event    Event  // a snapshot's fields are event.Metadata
	body     []byte // encoded payload, once known
	key      string // idempotency key, fixed before the first attempt
	spoolID  uint64 // 0 in memory mode
	size     int64
	at       int64 // enqueue time, Unix nanoseconds (see queue.stamp)
	attempts int32
	slot     int32 // index in queue.inflight while being sent
	kind     Kind
	// inRec says body is the item's whole spool record (header and
	// payload), or nil until loaded, and key is in it. Use payload and
	// idemKey.
	inRec bool
}

// payload is p's encoded payload (nil until encoded, in memory mode).
func (p *item) payload() []byte {
	if p.inRec {
		return p.body[recordHeader:]
	}
	return p.body
}

// idemKey is p's idempotency key ("" until chosen, in memory mode, or
// until its record is loaded, in durable mode).
func (p *item) idemKey() string {
	if p.inRec && len(p.body) >= recordHeader {
		return string(p.body[1:33])
	}
	return p.key
}

// record is p's spool record.
func (p *item) record() []byte {
	if p.inRec {
		return p.body
	}
	return encodeRecord(p.kind, p.key, p.at, p.body)
}

// queue is the reporter's FIFO plus the bookkeeping that Flush, Stats and
// Close need. Items being sent stay counted (inflight) until they are done.
type queue struct {
	mu          sync.Mutex
	maxBytes    int64
	items       fifo // waiting, in seq order
	inflight    []*item
	bytes       int64
	seq         uint64
	pendingSnap *item // a queued snapshot that newer ones merge into
	closed      bool
	now         func() time.Time
	clock       atomic.Int64  // a recent now(), Unix nanoseconds
	unstamped   int           // pushes since clock was last read for real
	avail       chan struct{} // wakes one worker...
	idle        int           // ...when some are waiting for work
	changed     chan struct{} // closed and replaced when an item is done...
	watched     bool          // ...if a Flush is waiting on it
	// notifying holds the seqs of items done whose OnOutcome callback has
	// not returned yet: Flush waits for them too. One per worker at most.
	notifying []uint64

	enqueued, sent, retried, coalesced, spoolLost uint64
	dropped                                       map[DropReason]uint64
}

func (q *queue) init(maxBytes int64, now func() time.Time) {
	q.maxBytes = maxBytes
	q.now = now
	q.avail = make(chan struct{}, 1)
	q.changed = make(chan struct{})
	q.dropped = make(map[DropReason]uint64)
}

func (q *queue) signal() {
	select {
	case q.avail <- struct{}{}:
	default:
	}
}

// push queues it, or refuses with ErrQueueFull or ErrClosed. The caller
// counts a refusal (Reporter.refused).
func (q *queue) push(it item) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ErrClosed
	}
	if q.bytes+it.size > q.maxBytes {
		q.mu.Unlock()
		return ErrQueueFull
	}
	q.appendLocked(&it)
	wake := q.idle > 0
	q.mu.Unlock()
	if wake {
		q.signal()
	}
	return nil
}

// pushDurable queues an item already on disk. The spool enforced the bound,
// and the item is queued even if Close began meanwhile: it is on disk, so
// Close counts it as kept rather than lost.
func (q *queue) pushDurable(p *item) {
	q.mu.Lock()
	q.appendLocked(p)
	q.mu.Unlock()
	q.signal()
}

// appendLocked queues a copy of *p and returns it.
func (q *queue) appendLocked(p *item) *item {
	q.seq++
	p.seq = q.seq
	if p.at == 0 {
		p.at = q.stampLocked()
	}
	q.bytes += p.size
	q.enqueued++
	return q.items.push(p)
}

// stampLocked returns the enqueue time for a new item. Reading the clock
// costs as much as the rest of an enqueue on some virtual machines, so
// during a burst (a backlog in the queue) only one push in 64 reads it and
// the others reuse that reading; workers also refresh it on every attempt.
// An item's age is thus exact when the queue is idle and otherwise
// overstated by at most the time between refreshes: one delivery attempt,
// or one backoff during an outage.
func (q *queue) stampLocked() int64 {
	if q.items.len() == 0 || q.unstamped >= 64 {
		now := q.now().UnixNano()
		q.clock.Store(now)
		q.unstamped = 0
		return now
	}
	q.unstamped++
	return q.clock.Load()
}

// tick refreshes the cached clock; workers call it after each attempt.
func (q *queue) tick() { q.clock.Store(q.now().UnixNano()) }

// pushSnapshot queues a snapshot in memory mode: fields (of estimated size)
// merged into old, the snapshot that was waiting (see pendingSnapshot),
// which it replaces if it still waits; or on its own. The merged snapshot
// counts toward the bound like any item. The merge (a copy of the fields)
// is made by the caller, outside the lock that Event takes.
func (q *queue) pushSnapshot(old *item, merged Fields, mergedSize int64, fields Fields, size int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if old != nil && q.pendingSnap == old {
		if q.bytes-old.size+mergedSize > q.maxBytes {
			return ErrQueueFull
		}
		q.bytes += mergedSize - old.size
		old.event.Metadata, old.size = merged, mergedSize
		q.enqueued++
		q.coalesced++
		return nil
	}
	// None waiting, or a worker took it meanwhile: fields go on their own.
	if q.bytes+size > q.maxBytes {
		return ErrQueueFull
	}
	q.pendingSnap = q.appendLocked(&item{kind: KindSnapshot, event: Event{Metadata: fields}, size: size})
	q.signal()
	return nil
}

// pendingSnapshot returns the snapshot still waiting in the queue (nil if
// none), whose fields a newer snapshot is merged with. Its fields are not
// changed but by the caller (one merge at a time, Reporter.snapMu), and a
// worker that takes it meanwhile reads them only after taking it.
func (q *queue) pendingSnapshot() (*item, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil, ErrClosed
	}
	return q.pendingSnap, nil
}

// commitSnapshot queues p, a spooled snapshot that holds old's fields
// merged with newer ones (old is nil if there was none). If old is still
// waiting, p takes its place and old's spool ID is returned, to be
// acknowledged; if a worker took old meanwhile, p is queued behind it.
func (q *queue) commitSnapshot(old, p *item) (replaced uint64) {
	q.mu.Lock()
	if old != nil && q.pendingSnap == old {
		replaced = old.spoolID
		q.bytes += p.size - old.size
		old.event.Metadata, old.body, old.key, old.inRec, old.spoolID, old.size = p.event.Metadata, p.body, p.key, p.inRec, p.spoolID, p.size
		q.enqueued++
		q.coalesced++
		q.mu.Unlock()
		return replaced
	}
	q.pendingSnap = q.appendLocked(p)
	q.mu.Unlock()
	q.signal()
	return 0
}

// take blocks until an item is available or ctx ends (then it returns nil).
func (q *queue) take(ctx context.Context) *item {
	for {
		q.mu.Lock()
		if p := q.items.pop(); p != nil {
			if p == q.pendingSnap {
				q.pendingSnap = nil
			}
			p.slot = int32(len(q.inflight))
			q.inflight = append(q.inflight, p)
			more := q.items.len() > 0
			wake := more && q.idle > 0
			q.mu.Unlock()
			if wake {
				q.signal()
			}
			return p
		}
		q.idle++
		q.mu.Unlock()
		select {
		case <-q.avail:
		case <-ctx.Done():
		}
		q.mu.Lock()
		q.idle--
		q.mu.Unlock()
		if ctx.Err() != nil {
			return nil
		}
	}
}

// takeMore appends to batch, without waiting, queued items until it holds
// max, or as many as fit in maxBytes.
func (q *queue) takeMore(batch []*item, max int, maxBytes int64) []*item {
	var size int64
	for _, p := range batch {
		size += p.size
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(batch) < max && q.items.len() > 0 {
		p := q.items.peek()
		if size += p.size; size > maxBytes && len(batch) > 0 {
			break
		}
		q.items.pop()
		if p == q.pendingSnap {
			q.pendingSnap = nil
		}
		p.slot = int32(len(q.inflight))
		q.inflight = append(q.inflight, p)
		batch = append(batch, p)
	}
	return batch
}

// done records the end of an item: delivered (reason "") or dropped. Its
// room in the queue is free at once; with notify, Flush still counts it as
// pending until notified says its OnOutcome callback returned.
func (q *queue) done(p *item, reason DropReason, notify bool) {
	q.mu.Lock()
	q.removeInflightLocked(p)
	q.bytes -= p.size
	if reason == "" {
		q.sent++
	} else {
		q.dropped[reason]++
	}
	if notify {
		q.notifying = append(q.notifying, p.seq)
	}
	q.changedLocked()
	q.mu.Unlock()
}

// notified records that the OnOutcome callback for the item of seq, done
// with notify, has returned.
func (q *queue) notified(seq uint64) {
	q.mu.Lock()
	if i := slices.Index(q.notifying, seq); i >= 0 {
		q.notifying = slices.Delete(q.notifying, i, i+1)
	}
	q.changedLocked()
	q.mu.Unlock()
}

// changedLocked wakes the callers of watch and flushed; q.mu is held.
func (q *queue) changedLocked() {
	if q.watched {
		close(q.changed)
		q.changed = make(chan struct{})
		q.watched = false
	}
}

// removeInflightLocked swaps p out of the in-flight list in O(1).
func (q *queue) removeInflightLocked(p *item) {
	last := len(q.inflight) - 1
	q.inflight[p.slot] = q.inflight[last]
	q.inflight[p.slot].slot = p.slot
	q.inflight[last] = nil
	q.inflight = q.inflight[:last]
}

func (q *queue) countRetry() {
	q.mu.Lock()
	q.retried++
	q.mu.Unlock()
}

func (q *queue) countDrop(reason DropReason, n uint64) {
	q.mu.Lock()
	q.dropped[reason] += n
	q.mu.Unlock()
}

// watch returns a channel closed at the next change: an item done (so
// there may be room) or the queue closed.
func (q *queue) watch() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.watched = true
	return q.changed
}

func (q *queue) lastSeq() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.seq
}

// flushed reports whether every item up to seq target is done and its
// OnOutcome callback returned; if not, it returns a channel closed at the
// next change, the count of items pending and, of those, the count whose
// callback is still running.
func (q *queue) flushed(target uint64) (done bool, changed <-chan struct{}, pending, notifying int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, p := range q.inflight { // a few batches at most
		if p.seq <= target {
			pending++
		}
	}
	pending += q.items.countUpTo(target)
	for _, seq := range q.notifying { // one per worker at most
		if seq <= target {
			notifying++
		}
	}
	pending += notifying
	if pending > 0 {
		q.watched = true
	}
	return pending == 0, q.changed, pending, notifying
}

func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// addTicker counts a new snapshot ticker in wg unless the queue is closed:
// under the queue's lock, so the count is never raised after Close began
// waiting for the tickers.
func (q *queue) addTicker(wg *sync.WaitGroup) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	wg.Add(1)
	return true
}

// close stops new items; it reports false if the queue was already closed.
func (q *queue) close() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.closed = true
	q.changedLocked() // wake callers waiting for room: they now get ErrClosed
	return true
}

// pendingItems returns every item not yet done, queued or being sent.
func (q *queue) pendingItems() []*item {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := make([]*item, 0, q.items.len()+len(q.inflight))
	items = append(items, q.inflight...)
	return q.items.appendAll(items)
}

func (q *queue) pendingCount() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.len() + len(q.inflight)
}

func (q *queue) countSpoolLost() {
	q.mu.Lock()
	q.spoolLost++
	q.mu.Unlock()
}

// drain empties the queue once the workers have stopped and returns how
// many items were still pending.
func (q *queue) drain() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.items.len() + len(q.inflight)
	q.items.reset()
	q.pendingSnap = nil
	q.inflight = nil
	q.bytes = 0
	return n
}

func (q *queue) stats() ReporterStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := ReporterStats{
		Enqueued: q.enqueued, Sent: q.sent, Retried: q.retried, Coalesced: q.coalesced, SpoolLost: q.spoolLost,
		Dropped:    maps.Clone(q.dropped),
		QueueDepth: q.items.len() + len(q.inflight),
		QueueBytes: q.bytes,
	}
	var oldest int64
	if p := q.items.peek(); p != nil {
		oldest = p.at
	}
	for _, p := range q.inflight {
		if oldest == 0 || p.at < oldest {
			oldest = p.at
		}
	}
	if oldest != 0 {
		s.OldestPending = max(time.Duration(q.now().UnixNano()-oldest), 0)
	}
	return s
}
