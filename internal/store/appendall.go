package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Record is one entry for AppendAll: what Append takes.
type Record struct {
	Kind  Kind
	Data  []byte
	Key   string
	Reply []byte
}

// Result is what Append returns, for one Record of AppendAll.
type Result struct {
	Prior []byte
	Dup   bool
	Err   error
}

// Batcher is implemented by stores that append many records in one step,
// in order. Callers fall back to concurrent Appends for stores without it.
type Batcher interface {
	AppendAll(ctx context.Context, recs []Record) []Result
}

var _ Batcher = (*Bolt)(nil)

// AppendAll appends recs in their order, all in one group commit, and
// returns once they are on stable storage, with one Result per record as
// Append would give it. Entries of one call are therefore adjacent and in
// order in their collections. A record whose key repeats an earlier one
// (stored before, or earlier in recs) stores nothing and gets that reply.
func (s *Bolt) AppendAll(ctx context.Context, recs []Record) []Result {
	res := make([]Result, len(recs))
	buckets := make([][]byte, len(recs)) // nil for a record refused up front
	for i, r := range recs {
		b, err := kindBucket(r.Kind)
		if err == nil && len(r.Key) > MaxKeyLen {
			err = ErrKeyTooLong
		}
		if err != nil {
			res[i].Err = fmt.Errorf("store: append to %s: %w", r.Kind, err)
			continue
		}
		buckets[i] = b
	}
	fail := func(err error) []Result {
		for i := range res {
			if res[i].Err == nil {
				res[i].Err = wrapAppend(recs[i].Kind, recs[i].Key, err)
			}
		}
		return res
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := s.acquire(); err != nil {
		return fail(err)
	}
	defer s.mu.RUnlock()
	err := s.commits.do(func(tx *bolt.Tx) error {
		for i, r := range recs {
			if buckets[i] == nil {
				continue
			}
			res[i] = Result{} // the committer may run this more than once
			if err := s.appendIn(tx, buckets[i], r, &res[i]); err != nil {
				return err
			}
		}
		return s.prune(tx, prunePerAppend)
	})
	if err != nil {
		return fail(err)
	}
	return res
}

// appendIn is one Append inside a write transaction.
func (s *Bolt) appendIn(tx *bolt.Tx, bucket []byte, r Record, res *Result) error {
	if r.Key != "" {
		if res.Prior, res.Dup = s.lookup(tx, r.Key); res.Dup {
			return nil
		}
		if err := s.remember(tx, r.Key, r.Reply); err != nil {
			return err
		}
	}
	if r.Data != nil {
		return putNext(tx.Bucket(bucket), r.Data)
	}
	return nil
}
