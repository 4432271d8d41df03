package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// entryOverhead approximates what bbolt spends on an entry besides its data
// (the 8-byte key and the leaf element), for the size limit.
const entryOverhead = 24

var _ Store = (*Bolt)(nil)

// Append implements Store. All of recs go into one group commit, shared
// with concurrent calls, and Append returns after its fsync. ctx is checked
// before the write; once the write has begun Append waits for the commit.
func (s *Bolt) Append(ctx context.Context, recs []Record) []Result {
	res := make([]Result, len(recs))
	todo := make([]bool, len(recs)) // records that still need the write
	n := 0
	for i, r := range recs {
		if err := checkRecord(r); err != nil {
			res[i].Err = wrapAppend(r.Kind, r.Key, err)
		} else if r.Data != nil || r.Key != "" {
			todo[i], n = true, n+1
		}
	}
	fail := func(err error) []Result {
		for i := range res {
			if todo[i] {
				res[i].Err = wrapAppend(recs[i].Kind, recs[i].Key, err)
			}
		}
		return res
	}
	if n == 0 {
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
	err = s.commits.do(func(tx *bolt.Tx, g *txGroup) error {
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

// checkRecord refuses a Record no store could take.
func checkRecord(r Record) error {
	if _, err := kindBucket(r.Kind); err != nil {
		return err
	}
	if len(r.Key) > MaxKeyLen {
		return fmt.Errorf("%w (%d bytes)", ErrKeyTooLong, len(r.Key))
	}
	if len(r.Sum) > MaxSumLen {
		return fmt.Errorf("%w (%d bytes)", ErrSumTooLong, len(r.Sum))
	}
	return nil
}

// answerRepeats answers, from a read transaction, the records whose key is
// remembered already (a retried request usually is), so that they join no
// write and no fsync. It returns how many records still need the write.
func (s *Bolt) answerRepeats(recs []Record, todo []bool, res []Result) (int, error) {
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
						res[i] = Result{Prior: prior, Dup: dup, Err: wrapAppend(r.Kind, r.Key, err)}
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
func (s *Bolt) appendAll(tx *bolt.Tx, g *txGroup, recs []Record, todo []bool, res []Result) error {
	added := 0
	for i, r := range recs {
		if !todo[i] {
			continue
		}
		res[i] = Result{}
		if err := s.appendIn(tx, g, r, &res[i]); err != nil {
			return err
		}
		if r.Key != "" && !res[i].Dup && res[i].Err == nil {
			added++
		}
	}
	return s.prune(tx, prunePerKey*added+prunePerCommit)
}

// appendIn is one Record inside a write transaction. A refusal (key
// reused, store full) goes into res; an error fails the transaction.
func (s *Bolt) appendIn(tx *bolt.Tx, g *txGroup, r Record, res *Result) error {
	if r.Key != "" {
		var err error
		if res.Prior, res.Dup, err = s.lookup(tx, r); res.Dup || err != nil {
			res.Err = wrapAppend(r.Kind, r.Key, err)
			return nil
		}
	}
	if r.Data != nil {
		cost := int64(len(r.Data) + entryOverhead)
		if s.maxBytes > 0 && s.usedIn(tx)+g.added+cost > s.maxBytes {
			res.Err = wrapAppend(r.Kind, r.Key, fmt.Errorf("%w: the limit is %d bytes", ErrFull, s.maxBytes))
			return nil
		}
		g.added += cost
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

func wrapAppend(kind Kind, key string, err error) error {
	if err == nil {
		return nil
	}
	if key == "" {
		return fmt.Errorf("store: append to %s: %w", kind.Collection(), err)
	}
	return fmt.Errorf("store: append to %s with key %q: %w", kind.Collection(), key, err)
}

// putNext stores data under the bucket's next sequence number.
func putNext(b *bolt.Bucket, data []byte) error {
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next sequence: %w", err)
	}
	if err := b.Put(seqKey(seq), data); err != nil {
		return fmt.Errorf("put entry %d: %w", seq, err)
	}
	return nil
}

// prune removes up to limit expired keys.
func (s *Bolt) prune(tx *bolt.Tx, limit int) error {
	_, err := s.pruneN(tx, limit)
	return err
}
