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
	keys    map[string][]byte
}

var _ store.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{entries: map[store.Kind][]store.Entry{}, keys: map[string][]byte{}}
}

func (m *memStore) Append(_ context.Context, kind store.Kind, data []byte, key string, reply []byte) ([]byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key != "" {
		if prior, ok := m.keys[key]; ok {
			return prior, true, nil
		}
		m.keys[key] = reply
	}
	if data != nil {
		es := m.entries[kind]
		m.entries[kind] = append(es, store.Entry{Seq: uint64(len(es) + 1), Data: data})
	}
	return nil, false, nil
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

func (m *memStore) Close() error { return nil }
