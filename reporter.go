package analytics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/analytics-client/analytics/internal/logthrottle"
	"github.com/analytics-client/analytics/internal/spool"
)

// Reporter defaults.
const (
	DefaultWorkers         = 4
	DefaultMemoryMaxBytes  = 8 << 20
	DefaultDurableMaxBytes = 64 << 20
	DefaultMinBackoff      = 100 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultCloseTimeout    = 10 * time.Second
	DefaultMaxRetryAfter   = time.Hour
)

// SyncPolicy says when a durable Reporter's enqueued items reach the disk.
type SyncPolicy int

const (
	// SyncEach makes Event and Snapshot return only once the item is on
	// disk (fsync). Concurrent callers share fsyncs. A power loss loses
	// nothing that was accepted.
	SyncEach SyncPolicy = iota
	// SyncPeriodic writes and syncs every SyncInterval (and when 64 KiB
	// are waiting): Event makes no system call, at several times the
	// rate, but a crash of the program or the machine can lose what was
	// accepted in the last interval.
	SyncPeriodic
)

// String returns "each" or "periodic".
func (p SyncPolicy) String() string { return p.spool().String() }

// spool is the durable queue's setting for p; an unknown policy stays
// unknown, for the queue to refuse.
func (p SyncPolicy) spool() spool.SyncPolicy {
	switch p {
	case SyncEach:
		return spool.SyncEach
	case SyncPeriodic:
		return spool.SyncPeriodic
	}
	return spool.SyncPolicy(p)
}

// DropReason says why the Reporter gave an item up: Outcome.Dropped and
// the keys of ReporterStats.Dropped.
type DropReason string

// The drop reasons.
const (
	DropQueueFull  DropReason = "queue-full"  // Event or Snapshot returned ErrQueueFull
	DropRejected   DropReason = "rejected"    // the service answered 422
	DropBadRequest DropReason = "bad-request" // the service answered 400 or another final 4xx
	DropTooLarge   DropReason = "too-large"   // the service answered 413
	DropCorrupt    DropReason = "corrupt"     // a spooled record could not be decoded
	DropShutdown   DropReason = "shutdown"    // memory mode: still pending when Close returned
	// DropSpoolError: durable mode, Event or Snapshot returned an error
	// because the spool could not write the item (a full or read-only
	// disk, say).
	DropSpoolError DropReason = "spool-error"
	// DropSpoolLost: durable mode, Event or Snapshot returned ErrSpoolLost.
	DropSpoolLost DropReason = "spool-lost"
)

// BackoffPolicy gives the wait before retry number attempt (1 for the
// first retry). ExponentialBackoff makes the usual one.
type BackoffPolicy func(attempt int) time.Duration

// ReporterOptions configures a Reporter. The zero value is a memory-mode
// reporter with the defaults above.
type ReporterOptions struct {
	// Dir, when set, makes the reporter durable: items are spooled to this
	// directory and survive crashes, outages and restarts. A new Reporter
	// on the same Dir delivers what an earlier one left.
	Dir string
	// MaxBytes bounds the queue. Default DefaultMemoryMaxBytes in memory
	// mode (estimated from the values) and DefaultDurableMaxBytes in
	// durable mode (the encoded size on disk).
	MaxBytes int64
	// Sync and SyncInterval apply to durable mode. Default SyncEach.
	Sync         SyncPolicy
	SyncInterval time.Duration
	// Workers is the number of concurrent senders. Default DefaultWorkers.
	Workers int
	// Backoff gives the wait before retry number attempt (1 for the first
	// retry). Default ExponentialBackoff(DefaultMinBackoff, DefaultMaxBackoff).
	Backoff BackoffPolicy
	// MaxBackoff caps every backoff wait, including configuration-error
	// waits. Default DefaultMaxBackoff.
	MaxBackoff time.Duration
	// MaxRetryAfter caps how long a service's Retry-After is honoured: a
	// retry never comes earlier than Retry-After asks, unless it asks for
	// more than MaxRetryAfter. Close interrupts every wait. Default
	// DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
	// CloseTimeout bounds how long Close waits for delivery when its
	// context has no deadline. Default DefaultCloseTimeout.
	CloseTimeout time.Duration
	// OnOutcome, when set, is called from a worker for every item
	// delivered or dropped. Flush waits for these calls: when it returns
	// nil, the callback has returned for every item it flushed. It must
	// not block for long: that worker sends nothing meanwhile, and Close
	// does not wait past its deadline for a callback that has not
	// returned. It must not call Flush or Close.
	OnOutcome func(Outcome)
	// Logger receives the reporter's log lines. Nil means the client's.
	Logger *slog.Logger
	// Clock is the reporter's time: enqueue times, backoff and Retry-After
	// waits, the ReportSnapshots interval. Nil means real time; tests set
	// one to move time instead of waiting for it.
	Clock Clock

	fsync      func(*os.File) error                       // the spool's fsync; nil is the real one
	write      func(*os.File, []byte, int64) (int, error) // the spool's writes; nil is the real ones
	spoolCheck time.Duration                              // the spool's CheckInterval; 0 is its default
}

// Clock is a source of time for a Reporter.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	After(d time.Duration) <-chan time.Time
}

// realClock is the time package's clock.
type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Outcome is the final fate of one reported item.
type Outcome struct {
	Kind     Kind   // KindEvent or KindSnapshot
	Key      string // the idempotency key it was sent with
	Attempts int
	// Dropped is "" when the item was delivered, else why it was not.
	Dropped DropReason
	// Err is the error that dropped the item.
	Err error
	// Rejected lists snapshot fields the service's whitelist refused (a
	// 206 answer); the rest was stored.
	Rejected map[string]string
}

// ReporterStats is a snapshot of a Reporter's counters.
type ReporterStats struct {
	Enqueued uint64
	Sent     uint64
	Retried  uint64
	// Coalesced counts snapshots merged into one still waiting in the
	// queue: each was enqueued but is delivered as part of another.
	Coalesced uint64
	// Dropped counts items given up, by Drop* reason.
	Dropped map[DropReason]uint64
	// QueueDepth and QueueBytes count items not yet delivered, including
	// those being sent.
	QueueDepth int
	QueueBytes int64
	// OldestPending is the age of the oldest item not yet delivered.
	OldestPending time.Duration
	// CertExpiry is when the client certificate in use expires (zero
	// without one). It moves when a renewed certificate is loaded.
	CertExpiry time.Time
	// SpoolLost counts the times the spool directory or its files were
	// found removed or replaced while the reporter ran. Each time the
	// reporter recreates the spool and writes every pending item to it
	// again; if that fails, Event and Snapshot return ErrSpoolLost.
	SpoolLost uint64
}

// Reporter reports events and snapshots in the background: Event and
// Snapshot validate and enqueue, and never wait for the network. Workers
// deliver with retries and backoff; see NewReporter.
//
// A Reporter is safe for concurrent use.
type Reporter struct {
	client transport
	opts   ReporterOptions
	log    *slog.Logger
	clock  Clock
	q      queue

	// spmu guards spool and the spool IDs of queued items: appends and
	// acknowledgements share it, recreating a lost spool holds it alone.
	spmu     sync.RWMutex
	spool    *spool.Spool // nil in memory mode, and while lost
	spoolLog *logthrottle.Logger
	refusals *refusalLog
	dropLog  *logthrottle.Logger // items dropped after an attempt
	// spoolLost is signalled by the spool's background check (watchSpool).
	spoolLost chan struct{}
	snapMu    sync.Mutex // one snapshot merge at a time

	calls   callbacks
	stop    context.CancelFunc
	stopCtx context.Context
	workers sync.WaitGroup
	tickers sync.WaitGroup
}

// NewReporter starts a reporter sending through client. In durable mode it
// opens (or creates) opts.Dir and queues what an earlier reporter left
// there. The reporter does not own the client: close the reporter first,
// then the client.
func NewReporter(client *Client, opts ReporterOptions) (*Reporter, error) {
	if client == nil {
		return nil, errors.New("analytics: NewReporter: client is nil")
	}
	opts = opts.withDefaults()
	r := &Reporter{client: client, opts: opts, log: opts.Logger, clock: opts.Clock}
	if r.log == nil {
		r.log = client.logger()
	}
	r.q.init(opts.MaxBytes, r.clock.Now)
	r.refusals = newRefusalLog(r.log, r.clock.Now, time.Minute)
	r.dropLog = logthrottle.New(r.log, time.Minute, r.clock.Now)
	r.calls.init()
	if opts.Dir != "" {
		if err := r.openSpool(); err != nil {
			return nil, err
		}
	}
	r.stopCtx, r.stop = context.WithCancel(context.Background())
	if r.durable() {
		r.tickers.Add(1)
		go r.watchSpool()
	}
	for range opts.Workers {
		r.workers.Add(1)
		go r.work()
	}
	return r, nil
}

func (o ReporterOptions) withDefaults() ReporterOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMemoryMaxBytes
		if o.Dir != "" {
			o.MaxBytes = DefaultDurableMaxBytes
		}
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Backoff == nil {
		o.Backoff = ExponentialBackoff(DefaultMinBackoff, o.MaxBackoff)
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = DefaultCloseTimeout
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	return o
}

// Event validates e and queues it for delivery, without waiting. It
// returns a *ValidationError for a bad event, ErrQueueFull when the queue
// has no room and ErrClosed after Close. In durable mode with SyncEach it
// returns once the event is on disk; an error wrapping ErrSpoolLost means
// the spool directory was lost and could not be recreated, and any other
// error that the spool could not write it (a full or read-only disk).
// When Event returns an error the event was not accepted and will not be
// delivered; refusals are counted in ReporterStats.Dropped by reason and
// logged at WARN at most once a minute per reason, with their count.
//
// The reporter keeps e.Metadata until the event is sent: do not modify the
// map after passing it.
func (r *Reporter) Event(e Event) error {
	size, err := e.validateSize()
	if err != nil {
		return err
	}
	if !r.durable() {
		return r.refused(r.q.push(item{kind: KindEvent, event: e, size: size}))
	}
	rec, buf, p, err := r.eventRecord(e)
	if err != nil {
		return err
	}
	defer releaseRecord(buf, rec)
	return r.refused(r.appendDurable(rec, &p, nil))
}

// EventWait is Event, except that when the queue is full it waits for room
// until ctx ends, rather than return ErrQueueFull at once: a producer
// faster than the service is slowed down to its pace and loses nothing.
// When ctx ends first, the error wraps ErrQueueFull and ctx's error, and
// the event was not accepted.
func (r *Reporter) EventWait(ctx context.Context, e Event) error {
	size, err := e.validateSize()
	if err != nil {
		return err
	}
	var rec []byte
	var p *item
	if r.durable() {
		var buf *[]byte
		var it item
		if rec, buf, it, err = r.eventRecord(e); err != nil {
			return err
		}
		defer releaseRecord(buf, rec)
		p = &it
	}
	for {
		changed := r.q.watch() // before trying, so that no room made meanwhile is missed
		if p != nil {
			err = r.appendDurable(rec, p, nil)
		} else {
			err = r.q.push(item{kind: KindEvent, event: e, size: size})
		}
		if !errors.Is(err, ErrQueueFull) {
			return r.refused(err)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return r.refused(fmt.Errorf("%w (waited for room until %w)", err, ctx.Err()))
		}
	}
}

// refused counts and logs a refusal by Event or Snapshot and returns err.
// Errors that are the caller's (validation, Close) are not refusals.
func (r *Reporter) refused(err error) error {
	var reason DropReason
	switch {
	case err == nil, errors.Is(err, ErrClosed):
		return err
	case errors.Is(err, ErrQueueFull):
		reason = DropQueueFull
	case errors.Is(err, ErrSpoolLost):
		reason = DropSpoolLost
	case errors.As(err, new(*ValidationError)):
		return err
	default:
		reason = DropSpoolError
	}
	r.q.countDrop(reason, 1)
	r.refusals.add(reason, err)
	return err
}

// Snapshot validates s and queues it. A snapshot still waiting in the queue
// absorbs a newer one (newest value per field wins), so a long outage
// leaves one current snapshot rather than a backlog of stale ones.
// Errors are as for Event.
func (r *Reporter) Snapshot(s Snapshot) error {
	if s.Fields == nil {
		return s.Validate()
	}
	size, err := validateFieldsSize("fields", s.Fields)
	if err != nil {
		return err
	}
	if r.durable() {
		return r.refused(r.enqueueSnapshot(s.Fields))
	}
	return r.refused(r.snapshotMemory(s.Fields, size+12))
}

// snapshotMemory queues a snapshot in memory mode, merged into the one
// still waiting if there is one. The merge and its size estimate are made
// outside the queue's lock, one at a time (snapMu).
func (r *Reporter) snapshotMemory(fields Fields, size int64) error {
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	old, err := r.q.pendingSnapshot()
	if err != nil || old == nil {
		if err == nil {
			err = r.q.pushSnapshot(nil, nil, 0, fields, size)
		}
		return err
	}
	merged := mergeFields(old.event.Metadata, fields)
	mergedSize, err := validateFieldsSize("fields", merged) // both parts are valid: only the size is new
	if err != nil {
		return err
	}
	return r.q.pushSnapshot(old, merged, mergedSize+12, fields, size)
}

// ReportSnapshots calls fn now (before returning) and then every interval
// until Close, and queues each snapshot it returns. An error from fn is
// logged and the tick skipped. fn's context ends when Close stops the
// reporter; Close does not wait past its deadline for an fn that ignores it.
func (r *Reporter) ReportSnapshots(interval time.Duration, fn func(context.Context) (Snapshot, error)) error {
	if interval <= 0 {
		return fmt.Errorf("analytics: ReportSnapshots: interval %v is not positive", interval)
	}
	if r.q.isClosed() {
		return ErrClosed
	}
	r.snapshotOnce(fn) // the first one before returning, so it is never missed
	if !r.q.addTicker(&r.tickers) {
		return ErrClosed
	}
	go func() {
		defer r.tickers.Done()
		for {
			select {
			case <-r.clock.After(interval):
				r.calls.enter(callbackSnapshots)
				r.snapshotOnce(fn)
				r.calls.leave(callbackSnapshots)
			case <-r.stopCtx.Done():
				return
			}
		}
	}()
	return nil
}

func (r *Reporter) snapshotOnce(fn func(context.Context) (Snapshot, error)) {
	s, err := fn(r.stopCtx)
	if err == nil {
		err = r.Snapshot(s)
	}
	if err != nil && !errors.Is(err, ErrClosed) && r.stopCtx.Err() == nil {
		r.log.Warn("analytics: periodic snapshot not queued", slog.Any("error", err))
	}
}

// Stats returns the reporter's counters.
func (r *Reporter) Stats() ReporterStats {
	s := r.q.stats()
	s.CertExpiry = r.client.certExpiry()
	return s
}

// Flush returns nil once every item accepted before the call has been
// delivered or dropped and, when ReporterOptions.OnOutcome is set, the
// callback for each of them has returned: after Flush, the caller has
// seen every outcome of what it flushed. When ctx ends first, the error
// says how many items are still pending (those whose OnOutcome callback is
// still running among them) and wraps ctx's error. An OnOutcome callback
// must not call Flush: it would wait for itself until ctx ends.
func (r *Reporter) Flush(ctx context.Context) error {
	target := r.q.lastSeq()
	for {
		done, changed, pending, notifying := r.q.flushed(target)
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if notifying > 0 {
				return fmt.Errorf("analytics: flush: %d items still pending (%d of them in an OnOutcome callback): %w",
					pending, notifying, ctx.Err())
			}
			return fmt.Errorf("analytics: flush: %d items still pending: %w", pending, ctx.Err())
		}
	}
}

// Close stops accepting items, waits for what is queued to be delivered
// until ctx ends (or CloseTimeout passes, when ctx has no deadline), then
// stops the workers and waits for them. It returns by that deadline even
// when a user callback (OnOutcome, a ReportSnapshots function) blocks: the
// error then says so, and that goroutine is left running.
//
// In durable mode what was not delivered stays on disk for the next
// Reporter on the same Dir; if the spool was lost and cannot be recreated,
// the error wraps ErrSpoolLost and counts the items that are not on disk.
// In memory mode the error counts what could not be delivered. Close never
// drops anything silently.
func (r *Reporter) Close(ctx context.Context) error {
	if !r.q.close() {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.CloseTimeout)
		defer cancel()
	}
	flushErr := r.Flush(ctx)
	r.refusals.flush()
	r.stop()
	blocked := r.waitStopped(ctx)
	if r.durable() {
		pending := r.q.pendingCount()
		err := r.closeSpool(pending)
		r.q.drain()
		if err == nil && pending > 0 {
			r.log.Info("analytics: undelivered items kept on disk for the next reporter",
				slog.Int("pending", pending), slog.String("dir", r.opts.Dir))
		}
		return errors.Join(err, blocked)
	}
	if left := r.q.drain(); left > 0 {
		r.q.countDrop(DropShutdown, uint64(left))
		return errors.Join(fmt.Errorf("analytics: close reporter: %d items not delivered: %w", left, flushErr), blocked)
	}
	return blocked
}

// waitStopped waits for the workers and snapshot tickers to exit, once
// stop was called. Past ctx's deadline it stops waiting as soon as one is
// inside a user callback, which may never return: it reports those
// instead. Nothing else they do blocks once stopped.
func (r *Reporter) waitStopped(ctx context.Context) error {
	exited := make(chan struct{})
	go func() {
		r.tickers.Wait()
		r.workers.Wait()
		close(exited)
	}()
	expired := ctx.Done()
	for {
		running, changed := r.calls.state()
		if ctx.Err() != nil && running != "" {
			return fmt.Errorf("analytics: close reporter: %s still running at the deadline; its goroutine is left running: %w",
				running, ctx.Err())
		}
		select {
		case <-exited:
			return nil
		case <-changed:
		case <-expired:
			expired = nil
		}
	}
}

func (r *Reporter) durable() bool { return r.opts.Dir != "" }
