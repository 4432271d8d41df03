// Package store is the durable storage of the analytics service behind a
// small interface, so that the service does not depend on a storage engine.
//
// It holds what every engine shares: the Store interface and its types,
// Options, the group committer (Committer) that lets concurrent appends
// share one sync, and the checks every Append makes (CheckRecord). The
// engines live in their own packages: boltstore keeps one bbolt file,
// pgstore a PostgreSQL database shared by several replicas. storetest
// states the Store contract as tests that take a constructor; each engine's
// tests run it.
package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/analytics-client/analytics/internal/value"
)

// Kind selects one of the two collections: value.Kind, the one
// enumeration of events and snapshots, which the client shares.
type Kind = value.Kind

// The collections.
const (
	Events    = value.KindEvent
	Snapshots = value.KindSnapshot
)

// Errors of the Store contract, reported in Result.Err (wrapped) or
// returned by the other methods.
var (
	// ErrClosed is returned by calls on a closed store.
	ErrClosed = errors.New("store: closed")

	// ErrKeyReused is a Record whose Key is remembered with a different
	// Sum: the key was used for another request. Nothing is stored.
	ErrKeyReused = errors.New("store: idempotency key reused with a different request")

	// ErrFull is a Record whose Data does not fit under the store's size
	// limit. Nothing is stored; deleting entries (a check-in) frees room.
	ErrFull = errors.New("store: full")

	// ErrDamaged is in the chain of every error about damaged storage (for
	// bbolt, a *boltstore.DamagedError): a commit that fails with it
	// fails its whole group.
	ErrDamaged = errors.New("store: damaged")

	// ErrUnknownKind is returned for a Kind that is neither Events nor
	// Snapshots.
	ErrUnknownKind = errors.New("store: unknown kind")

	// ErrKeyTooLong is returned by Append for an idempotency key longer
	// than MaxKeyLen.
	ErrKeyTooLong = errors.New("store: idempotency key too long")

	// ErrSumTooLong is returned by Append for a Record.Sum longer than
	// MaxSumLen.
	ErrSumTooLong = errors.New("store: request sum too long")
)

// Entry is one stored entry: its arrival sequence number and its JSON, as the
// collections show it.
type Entry struct {
	Seq  uint64
	Data []byte
}

// Record is one thing to append: an entry, an idempotency key, or both.
type Record struct {
	// Kind is the collection Data goes to; keys are shared by both
	// collections, so callers that want a key per collection include the
	// kind in Key.
	Kind Kind
	// Data is the entry's JSON; nil stores no entry (a key alone).
	Data []byte
	// Key is the idempotency key; "" for none.
	Key string
	// Sum identifies the request the key belongs to (a digest of its
	// canonical payload). A later Record with the same Key and another
	// Sum fails with ErrKeyReused. At most MaxSumLen bytes.
	Sum []byte
	// Reply is what the key remembers: the least the caller needs to
	// answer a repeat of the request.
	Reply []byte
}

// Result is the outcome of one Record.
type Result struct {
	// Prior is the Reply remembered under the Key when Dup is set.
	Prior []byte
	// Dup means the Key was remembered already with the same Sum (from
	// an earlier call, or an earlier Record of the same call): nothing
	// was stored, answer with Prior.
	Dup bool
	// Err is why the Record was not stored: ErrKeyReused, ErrFull, a
	// context error, ErrClosed or a storage failure (wrapped).
	Err error
}

// Store is the durable storage of the service.
//
// Implementations are safe for concurrent use.
type Store interface {
	// Append stores recs in their order and returns once they are on
	// stable storage, with one Result per Record. Entries of one call
	// are adjacent and in order in their collections. Concurrent calls
	// may share one sync (group commit).
	//
	// A Record with a Key remembers its Reply under that Key for at least
	// the store's retention (24 h or more, by the store's KeyClock), unless
	// the keys' own room (Options.MaxKeyBytes) fills first, when the oldest
	// are forgotten sooner; a repeat of the Key with the
	// same Sum stores nothing and is answered with Dup and the first
	// Reply; with another Sum it fails with ErrKeyReused. Expired keys are
	// forgotten, and the number of keys kept stays proportional to the
	// keys added within the retention. A failed Record stores nothing and
	// remembers nothing.
	Append(ctx context.Context, recs []Record) []Result

	// Scan calls fn for each entry of kind whose Seq is greater than
	// after, in arrival order. It reads in pages, so the whole collection
	// is never in memory and writers are not blocked for the whole scan.
	// An error from fn stops the scan and is returned; a page that cannot
	// be read is an error wrapping ErrDamaged.
	Scan(ctx context.Context, kind Kind, after uint64, fn func(Entry) error) error

	// DeleteThrough removes the entries of kind whose Seq is at most seq,
	// and makes their room available to later appends.
	DeleteThrough(ctx context.Context, kind Kind, seq uint64) error

	// Count returns how many entries of kind are stored. It reads a count
	// the store keeps as it commits, so it costs the same whatever the
	// collection's size.
	Count(ctx context.Context, kind Kind) (int, error)

	// UsedBytes returns the room the entries take, what Options.MaxBytes
	// bounds, in the same constant time.
	UsedBytes(ctx context.Context) (int64, error)

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}

// DefaultRetention is how long idempotency keys are kept when
// Options.Retention is zero.
const DefaultRetention = 48 * time.Hour

// DefaultScanPage is how many entries Scan reads at a time when
// Options.ScanPage is zero.
const DefaultScanPage = 256

// Options configure a store. The zero value is usable; each engine's Open
// takes them.
type Options struct {
	// Retention is how long idempotency keys are kept at least (within
	// MaxKeyBytes); zero means DefaultRetention. Keys may be kept longer
	// (they are pruned lazily), but a key older than Retention is never
	// reported as a duplicate.
	Retention time.Duration

	// MaxBytes bounds the room the entries take, each counted as its
	// data plus EntryOverhead (idempotency keys have their own room,
	// MaxKeyBytes). An entry that does not fit fails with ErrFull. Zero
	// means no limit.
	MaxBytes int64

	// OnCommit, when set, is called after each commit of appended records
	// and before any of its Append calls returns: for metrics, and the
	// seam through which tests see that a sync came before an answer. It
	// must be quick: the next group waits for it.
	OnCommit func(CommitInfo)

	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger

	// Now is the wall clock; nil means time.Now. Keys do not age by it:
	// each engine keeps a KeyClock that starts at the latest time the
	// store recorded (bbolt; this clock for a store without keys) or the
	// database's clock (PostgreSQL), and then moves by Elapsed only.
	Now func() time.Time

	// Elapsed is a monotonic clock (any origin) that ages idempotency
	// keys; nil means how far Now moved since the options were completed,
	// which for time.Now (whose readings carry the monotonic clock) wall-
	// clock steps do not move. storetest.Clock sets both, to tell time
	// passing from a clock being stepped.
	Elapsed func() time.Duration

	// MaxKeyBytes bounds the room idempotency keys take, apart from
	// MaxBytes (which counts entries only), so that keys never take the
	// room a check-in frees for entries. When it is full, the oldest keys
	// are forgotten before their retention (and logged). Zero means
	// MaxBytes/8 when MaxBytes is set, else no limit.
	MaxKeyBytes int64

	// ScanPage is how many entries Scan reads in one go (one read
	// transaction, one query); zero means DefaultScanPage. Tests make it
	// small to see page boundaries.
	ScanPage int
}

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Elapsed == nil {
		now, origin := o.Now, o.Now()
		// time.Now's readings carry the monotonic clock, which Sub uses:
		// wall-clock steps do not move it.
		o.Elapsed = func() time.Duration { return now().Sub(origin) }
	}
	if o.MaxKeyBytes <= 0 && o.MaxBytes > 0 {
		o.MaxKeyBytes = o.MaxBytes / 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ScanPage <= 0 {
		o.ScanPage = DefaultScanPage
	}
	return o
}

// Backlogger is implemented by stores that answer an Append from a
// write-ahead log before their main file holds it (boltstore.Logged).
type Backlogger interface {
	// Backlog is the bytes logged and not yet applied to the main file:
	// near zero normally, rising while the file cannot be written.
	Backlog(ctx context.Context) (int64, error)
}

// Newest is implemented by stores that find their newest entry without a
// scan (both engines): the check-in pins the range it uploads with it.
type Newest interface {
	// Newest returns the sequence number of the newest entry of kind, 0
	// when the collection is empty.
	Newest(ctx context.Context, kind Kind) (uint64, error)
}
