// Package storeview adapts the service's store to the narrow interfaces of
// its subsystems (checkin.Store, opsview.Counter), which name a collection
// as the protocol does ("events", "snapshots") and take no type of
// internal/store, so that those packages' public APIs show none and a
// change of the store's API is met here alone.
package storeview

import (
	"context"
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
