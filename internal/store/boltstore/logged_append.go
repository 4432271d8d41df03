package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// logTx is one group commit of the Logged store being built: the records
// it logs, and what it decides them against.
type logTx struct {
	s    *Logged
	tx   *bolt.Tx // a read transaction of the file
	used int64    // the entries' room in the file plus that of the tail
	at   time.Time
	recs []store.Record
	keys map[string]store.Record // keys of this group
}

// Append implements store.Store: the records join a group commit that is
// written to the log and synced once; Append returns after that sync.
func (s *Logged) Append(ctx context.Context, recs []store.Record) []store.Result {
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
	defer s.closeMu.RUnlock()
	n, err := s.answerRepeats(recs, todo, res)
	if err != nil {
		return fail(err)
	}
	if n == 0 {
		return res
	}
	if err := s.waitForRoom(ctx); err != nil {
		return fail(err)
	}
	err = s.commits.Do(func(t *logTx, g *store.Group) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i, r := range recs {
			if todo[i] {
				res[i] = t.add(g, r)
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return res
}

// answerRepeats answers the records whose key is remembered already (in
// the file or the tail), as Store.answerRepeats does, so that a retried
// request joins no group and no sync. It returns how many records still
// need the log.
func (s *Logged) answerRepeats(recs []store.Record, todo []bool, res []store.Result) (int, error) {
	left, keyed := 0, false
	for i, r := range recs {
		if todo[i] {
			left++
			keyed = keyed || r.Key != ""
		}
	}
	if !keyed {
		return left, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.view(context.Background(), func(tx *bolt.Tx) error {
		t := &logTx{s: s, tx: tx}
		for i, r := range recs {
			if !todo[i] || r.Key == "" {
				continue
			}
			if prior, dup, err := t.lookup(r); dup || err != nil {
				res[i] = store.Result{Prior: prior, Dup: dup, Err: store.AppendError(r.Kind, r.Key, err)}
				todo[i] = false
				left--
			}
		}
		return nil
	})
	return left, err
}

// add decides one record: a repeated or reused key, or no room, is its
// result; otherwise it joins the group.
func (t *logTx) add(g *store.Group, r store.Record) store.Result {
	if r.Key != "" {
		if prior, dup, err := t.lookup(r); dup || err != nil {
			return store.Result{Prior: prior, Dup: dup, Err: store.AppendError(r.Kind, r.Key, err)}
		}
	}
	if r.Data != nil {
		cost := entryCost(len(r.Data))
		if max := t.s.db.maxBytes; max > 0 && t.used+g.Added+cost > max {
			return store.Result{Err: store.AppendError(r.Kind, r.Key, fmt.Errorf("%w: the limit is %d bytes", store.ErrFull, max))}
		}
		g.Added += cost
	}
	t.recs = append(t.recs, r)
	if r.Key != "" {
		t.keys[r.Key] = r
	}
	return store.Result{}
}

// lookup finds r.Key in this group, the logged groups not applied yet, then
// the file, as Store.lookup does.
func (t *logTx) lookup(r store.Record) (prior []byte, dup bool, err error) {
	if k, ok := t.keys[r.Key]; ok {
		return sameSum(k.Sum, k.Reply, r.Sum)
	}
	if k, ok := t.s.keys[r.Key]; ok && !t.s.db.clock.Expired(time.Unix(0, k.at), t.s.db.retention) {
		return sameSum(k.sum, k.reply, r.Sum)
	}
	return t.s.db.lookup(t.tx, r)
}

func sameSum(sum, reply, want []byte) ([]byte, bool, error) {
	if !bytes.Equal(sum, want) {
		return nil, false, store.ErrKeyReused
	}
	return bytes.Clone(reply), true, nil
}

// logGroup is the Committer's transaction: it runs the group's functions
// against the file and the tail (under s.mu, so the applier cannot move a
// group between the two), then logs the records they kept and syncs once.
func (s *Logged) logGroup(fn func(*logTx) error) error {
	t := &logTx{s: s, at: s.now(), keys: map[string]store.Record{}}
	s.mu.Lock()
	if err := s.applyErr; errors.Is(err, store.ErrDamaged) {
		s.mu.Unlock()
		return err // the file cannot take what the log holds
	}
	err := s.db.view(context.Background(), func(tx *bolt.Tx) error {
		t.tx, t.used = tx, entriesRoom(tx)
		for _, b := range unapplied(s.tail, appliedIn(tx)) {
			t.used += b.bytes
		}
		return fn(t)
	})
	s.mu.Unlock()
	s.synced = false
	if err != nil || len(t.recs) == 0 {
		return err
	}
	payload := appendBatch(nil, t.at.UnixNano(), t.recs)
	lsn, err := s.wal.Append(payload)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	s.synced = true
	b, err := decodeBatch(lsn, payload) // records that own their bytes
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tail = append(s.tail, b)
	s.behind += b.size
	s.logged = lsn
	for _, r := range b.recs {
		if r.Key != "" {
			s.keys[r.Key] = pendingKey{sum: r.Sum, reply: r.Reply, at: b.at, lsn: lsn}
		}
	}
	long := len(s.tail) >= s.maxApply
	s.mu.Unlock()
	if long {
		s.hurry()
	} else {
		s.poke()
	}
	return nil
}
