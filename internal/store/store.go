// Package store keeps the analytics service's entries durably, behind a small
// interface so that the service does not depend on the storage engine.
//
// Bolt, the implementation, keeps everything in one bbolt file: one bucket
// per Kind keyed by big-endian sequence numbers (so key order is arrival
// order), and the idempotency keys with a time index so expired ones are
// found and pruned cheaply. Concurrent appends share one fsync (group
// commit); scans copy entries out a page at a time so readers never pin a
// read transaction while the caller works.
package store

import (
	"context"
	"errors"
)

// Kind selects one of the two collections.
type Kind uint8

// The collections.
const (
	Events Kind = iota + 1
	Snapshots
)

// String returns "events" or "snapshots".
func (k Kind) String() string {
	switch k {
	case Events:
		return "events"
	case Snapshots:
		return "snapshots"
	}
	return "unknown"
}

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store: closed")

// Entry is one stored entry: its arrival sequence number and its JSON, as the
// collections show it.
type Entry struct {
	Seq  uint64
	Data []byte
}

// Store is the durable storage of the service.
//
// Implementations are safe for concurrent use.
type Store interface {
	// Append stores data (the entry's JSON) in the collection kind and
	// returns once it is on stable storage. Concurrent appends may share
	// one sync (group commit).
	//
	// When key is non-empty, Append remembers reply under key (for at
	// least the store's retention, 24 h or more). If key was already
	// remembered, Append stores nothing and returns the earlier reply with
	// dup set. A nil data stores no entry but still remembers the key.
	Append(ctx context.Context, kind Kind, data []byte, key string, reply []byte) (prior []byte, dup bool, err error)

	// Scan calls fn for each entry of kind whose Seq is greater than
	// after, in arrival order. It reads in pages, so the whole collection
	// is never in memory and writers are not blocked for the whole scan.
	// An error from fn stops the scan and is returned.
	Scan(ctx context.Context, kind Kind, after uint64, fn func(Entry) error) error

	// DeleteThrough removes the entries of kind whose Seq is at most seq.
	DeleteThrough(ctx context.Context, kind Kind, seq uint64) error

	// Close releases the store. Calls after Close return ErrClosed.
	Close() error
}
