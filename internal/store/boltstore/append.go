package boltstore

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

var _ store.Store = (*Store)(nil)

// Append implements Store. All of recs go into one group commit, shared
// with concurrent calls, and Append returns after its fsync. ctx is checked
// before the write; once the write has begun Append waits for the commit.
func (s *Store) Append(ctx context.Context, recs []store.Record) []store.Result {
	p := store.NewPending(recs)
	res, todo, fail := p.Res, p.Todo, p.Fail
	if p.N == 0 {
		return res
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := s.acquire(); err != nil {
		return fail(err)
	}
	defer s.mu.RUnlock()
	n, err := s.answerRepeats(recs, todo, res)
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return res
	}
	err = s.commits.Do(func(tx *bolt.Tx, g *store.Group) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return s.appendAll(tx, g, recs, todo, res)
	})
	if err != nil {
		return fail(err)
	}
	return res
}

// answerRepeats answers, from a read transaction, the records whose key is
// remembered already (a retried request usually is), so that they join no
// write and no fsync. It returns how many records still need the write.
func (s *Store) answerRepeats(recs []store.Record, todo []bool, res []store.Result) (int, error) {
	left := 0
	err := guard(s.path, func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			left = 0
			for i, r := range recs {
				if !todo[i] {
					continue
				}
				if r.Key != "" {
					prior, dup, err := s.lookup(tx, r)
					if dup || err != nil {
						res[i] = store.Result{Prior: prior, Dup: dup, Err: store.AppendError(r.Kind, r.Key, err)}
						todo[i] = false
						continue
					}
				}
				left++
			}
			return nil
		})
	})
	return left, err
}

// appendAll is Append's part of a group commit. The committer may run it
// more than once (when another member of the group fails, the transaction
// is rolled back and the rest re-run), so it sets every result from
// scratch. Two records of one key in the same group see each other because
// they share the transaction.
func (s *Store) appendAll(tx *bolt.Tx, g *store.Group, recs []store.Record, todo []bool, res []store.Result) error {
	added := 0
	var stored [store.Snapshots + 1]int // entries put, by kind
	for i, r := range recs {
		if !todo[i] {
			continue
		}
		res[i] = store.Result{}
		if err := s.appendIn(tx, g, r, &res[i]); err != nil {
			return err
		}
		if res[i].Dup || res[i].Err != nil {
			continue
		}
		if r.Key != "" {
			added++
		}
		if r.Data != nil {
			stored[r.Kind]++
		}
	}
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		b, _ := kindBucket(kind)
		if err := addCount(tx, b, stored[kind]); err != nil {
			return err
		}
	}
	return s.prune(tx, store.PrunePerKey*added+store.PrunePerCommit)
}

// appendIn is one Record inside a write transaction. A refusal (key
// reused, store full) goes into res; an error fails the transaction.
func (s *Store) appendIn(tx *bolt.Tx, g *store.Group, r store.Record, res *store.Result) error {
	if r.Key != "" {
		var err error
		if res.Prior, res.Dup, err = s.lookup(tx, r); res.Dup || err != nil {
			res.Err = store.AppendError(r.Kind, r.Key, err)
			return nil
		}
	}
	if r.Data != nil {
		cost := entryCost(len(r.Data))
		if s.maxBytes > 0 && entriesRoom(tx)+cost > s.maxBytes {
			res.Err = store.AppendError(r.Kind, r.Key, fmt.Errorf("%w: the limit is %d bytes", store.ErrFull, s.maxBytes))
			return nil
		}
		g.Added += cost
		if err := addMetaInt(tx, metaBytes, cost); err != nil {
			return err
		}
	}
	if r.Key != "" {
		if err := s.remember(tx, r); err != nil {
			return err
		}
	}
	if r.Data != nil {
		b, _ := kindBucket(r.Kind) // checked by checkRecord
		return putNext(tx.Bucket(b), r.Data)
	}
	return nil
}

// putNext stores data under the bucket's next sequence number, with its
// checksum (store.EncodeEntry).
func putNext(b *bolt.Bucket, data []byte) error {
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next sequence: %w", err)
	}
	if err := b.Put(seqKey(seq), store.EncodeEntry(seq, data)); err != nil {
		return fmt.Errorf("put entry %d: %w", seq, err)
	}
	return nil
}

// prune removes up to limit expired keys.
func (s *Store) prune(tx *bolt.Tx, limit int) error {
	_, err := s.pruneN(tx, limit)
	return err
}
