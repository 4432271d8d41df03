// Package storeview adapts the service's store to the narrow interfaces of
// its subsystems (checkin.Store, opsview.Counter), which name a collection
// as the protocol does ("events", "snapshots") and take no type of
// internal/store, so that those packages' public APIs show none and a
// change of the store's API is met here alone.
package storeview

import (
	"context"
	"errors"
	"fmt"

	"github.com/analytics-client/analytics/internal/store"
)

// The collections, as the protocol and the subsystems name them.
var (
	Events    = store.Events.Collection()
	Snapshots = store.Snapshots.Collection()
)

// counter is implemented by stores that count their entries and know the
// room they take (both store backends).
type counter interface {
	Count(ctx context.Context, kind store.Kind) (int, error)
	UsedBytes(ctx context.Context) (int64, error)
}

// View is a store seen through collection names. Its methods are the
// store's, so it may be used as concurrently as the store may.
type View struct{ st store.Store }

// New is the view of st.
func New(st store.Store) View { return View{st: st} }

// kind is the store's name of a collection.
func kind(collection string) (store.Kind, error) {
	switch collection {
	case Events:
		return store.Events, nil
	case Snapshots:
		return store.Snapshots, nil
	}
	return 0, fmt.Errorf("storeview: no collection %q", collection)
}

// Scan calls fn with the sequence number and data of each entry of the
// collection, in arrival order, until fn fails.
func (v View) Scan(ctx context.Context, collection string, fn func(seq uint64, data []byte) error) error {
	k, err := kind(collection)
	if err != nil {
		return err
	}
	return v.st.Scan(ctx, k, 0, func(e store.Entry) error { return fn(e.Seq, e.Data) })
}

// DeleteThrough deletes the entries of the collection up to seq.
func (v View) DeleteThrough(ctx context.Context, collection string, seq uint64) error {
	k, err := kind(collection)
	if err != nil {
		return err
	}
	return v.st.DeleteThrough(ctx, k, seq)
}

// uploadRangeSum is the Sum of the store record that pins a check-in
// upload's range (Pin).
var uploadRangeSum = []byte("check-in upload range")

// errFound stops a scan at its first entry.
var errFound = errors.New("found")

// Range returns the first and newest sequence numbers of the collection
// (0, 0 when it is empty).
func (v View) Range(ctx context.Context, collection string) (first, last uint64, err error) {
	k, err := kind(collection)
	if err != nil {
		return 0, 0, err
	}
	err = v.st.Scan(ctx, k, 0, func(e store.Entry) error { first = e.Seq; return errFound })
	if err != nil && !errors.Is(err, errFound) {
		return 0, 0, err
	}
	if n, ok := v.st.(store.Newest); ok {
		last, err = n.Newest(ctx, k)
		return first, last, err
	}
	err = v.st.Scan(ctx, k, 0, func(e store.Entry) error { last = e.Seq; return nil })
	return first, last, err
}

// Pin remembers value under key as an idempotency key of the store (which
// keeps it durably, for the keys' retention), unless key holds a value
// already: then it returns that one.
func (v View) Pin(ctx context.Context, key, value string) (prior string, err error) {
	r := v.st.Append(ctx, []store.Record{{Kind: store.Events, Key: key, Sum: uploadRangeSum, Reply: []byte(value)}})[0]
	switch {
	case r.Err != nil:
		return "", r.Err
	case r.Dup:
		return string(r.Prior), nil
	}
	return "", nil
}

// Quarantined is the number of entries the store set aside as damaged, 0
// for a store that does not keep them apart.
func (v View) Quarantined(ctx context.Context) (int64, error) {
	if q, ok := v.st.(store.Quarantiner); ok {
		return q.Quarantined(ctx)
	}
	return 0, nil
}

// Backlog is the bytes the store has logged and not yet applied to its
// main file, 0 for a store without a write-ahead log.
func (v View) Backlog(ctx context.Context) (int64, error) {
	if b, ok := v.st.(store.Backlogger); ok {
		return b.Backlog(ctx)
	}
	return 0, nil
}

// Counts reports whether the store counts its entries: whether Count and
// UsedBytes can answer.
func (v View) Counts() bool {
	_, ok := v.st.(counter)
	return ok
}

// Count is the number of entries of the collection.
func (v View) Count(ctx context.Context, collection string) (int, error) {
	c, ok := v.st.(counter)
	if !ok {
		return 0, fmt.Errorf("storeview: the store does not count its entries")
	}
	k, err := kind(collection)
	if err != nil {
		return 0, err
	}
	return c.Count(ctx, k)
}

// UsedBytes is the room the entries take.
func (v View) UsedBytes(ctx context.Context) (int64, error) {
	c, ok := v.st.(counter)
	if !ok {
		return 0, fmt.Errorf("storeview: the store does not count its entries")
	}
	return c.UsedBytes(ctx)
}
