package server_test

import (
	"context"
	"sync"

	"github.com/analytics-client/analytics/internal/store"
)

// memStore is an in-memory store.Store without durability, used only to
// measure the HTTP path apart from storage.
type memStore struct {
	mu      sync.Mutex
	entries map[store.Kind][]store.Entry
	keys    map[string]memKey
}

type memKey struct{ sum, reply []byte }

var _ store.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{entries: map[store.Kind][]store.Entry{}, keys: map[string]memKey{}}
}

func (m *memStore) Append(_ context.Context, recs []store.Record) []store.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := make([]store.Result, len(recs))
	for i, r := range recs {
		if r.Key != "" {
			if prior, ok := m.keys[r.Key]; ok {
				if string(prior.sum) != string(r.Sum) {
					res[i].Err = store.ErrKeyReused
				} else {
					res[i] = store.Result{Prior: prior.reply, Dup: true}
				}
				continue
			}
			m.keys[r.Key] = memKey{r.Sum, r.Reply}
		}
		if r.Data != nil {
			es := m.entries[r.Kind]
			m.entries[r.Kind] = append(es, store.Entry{Seq: uint64(len(es) + 1), Data: r.Data})
		}
	}
	return res
}

func (m *memStore) Scan(_ context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	m.mu.Lock()
	es := append([]store.Entry(nil), m.entries[kind]...)
	m.mu.Unlock()
	for _, e := range es {
		if e.Seq > after {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *memStore) DeleteThrough(_ context.Context, kind store.Kind, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keep []store.Entry
	for _, e := range m.entries[kind] {
		if e.Seq > seq {
			keep = append(keep, e)
		}
	}
	m.entries[kind] = keep
	return nil
}

func (m *memStore) Count(_ context.Context, kind store.Kind) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries[kind]), nil
}

// UsedBytes is zero: the memory store has no limit.
func (m *memStore) UsedBytes(context.Context) (int64, error) { return 0, nil }

func (m *memStore) Close() error { return nil }
