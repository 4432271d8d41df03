package server_test

import (
	"context"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
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

// syncOnlyStore is memStore behind the write-ahead log's group commit
// (store.NewCommitterGather, with boltstore.GatherWait) and sync: each
// group appends its records' bytes to a zero-filled file through the log's
// file seam and syncs once, and nothing else. It measures the most any
// store that syncs once per group commit can do on this disk, to tell the
// log's own cost from the disk's.
type syncOnlyStore struct {
	*memStore
	commits *store.Committer[*syncOnlyTx]
}

type syncOnlyTx struct{ size int }

// syncOnlyFileSize is the zero-filled file's size: a log segment's
// (wal.DefaultSegmentSize), written round and round.
const syncOnlyFileSize = 8 << 20

func newSyncOnlyStore(tb testing.TB, onCommit func(store.CommitInfo)) *syncOnlyStore {
	f, err := logfs.Dir(tb.TempDir()).Create("sync-only")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.Close() })
	if _, err := f.WriteAt(make([]byte, syncOnlyFileSize), 0); err != nil {
		tb.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		tb.Fatal(err)
	}
	var off int64
	buf := make([]byte, 0, 64<<10)
	write := func(fn func(*syncOnlyTx) error) error {
		t := &syncOnlyTx{}
		if err := fn(t); err != nil {
			return err
		}
		buf = buf[:min(t.size, cap(buf))]
		if off+int64(len(buf)) > syncOnlyFileSize {
			off = 0
		}
		if _, err := f.WriteAt(buf, off); err != nil {
			return err
		}
		off += int64(len(buf))
		return f.Sync()
	}
	s := &syncOnlyStore{memStore: newMemStore(),
		commits: store.NewCommitterGather(write, func() bool { return true }, onCommit, boltstore.GatherWait)}
	tb.Cleanup(s.commits.Close)
	return s
}

func (s *syncOnlyStore) Append(ctx context.Context, recs []store.Record) []store.Result {
	var res []store.Result
	err := s.commits.Do(func(t *syncOnlyTx, _ *store.Group) error {
		for _, r := range recs {
			t.size += len(r.Data) + len(r.Key) + len(r.Sum) + 32 // a log record's framing, roughly
		}
		return nil
	})
	if err != nil {
		res = make([]store.Result, len(recs))
		for i := range res {
			res[i].Err = err
		}
		return res
	}
	return s.memStore.Append(ctx, recs)
}
