// Package store keeps the analytics service's entries durably, behind a small
// interface so that the service does not depend on the storage engine.
//
// Bolt, the implementation, keeps everything in one bbolt file: one bucket
// per Kind keyed by big-endian sequence numbers (so key order is arrival
// order), and the idempotency keys with a time index so expired ones are
// found and pruned cheaply. Concurrent appends share one fsync (group
// commit); scans copy entries out a page at a time so readers never pin a
// read transaction while the caller works. Open refuses a damaged file
// (see DamagedError) rather than serving part of it.
//
// runContract (contract_test.go) states the Store contract as tests that
// take a constructor, so another backend can be held to the same contract.
package store

import (
	"context"
	"errors"

	"github.com/analytics-client/analytics/internal/value"
)

// FileName is the name of the store file in the service's data directory.
const FileName = "analytics.db"

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

	// ErrDamaged is in the chain of every error about a damaged store
	// file; the error is a *DamagedError.
	ErrDamaged = errors.New("store: damaged")
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
	// the store's retention (24 h or more); a repeat of the Key with the
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

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}
