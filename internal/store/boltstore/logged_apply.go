package boltstore

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// runApplier applies logged groups to the file until Close, then applies
// what is left. Woken by a new group, it lets more gather for s.delay
// unless hurried.
func (s *Logged) runApplier() {
	defer close(s.done)
	timer := time.NewTimer(s.delay)
	timer.Stop()
	for {
		select {
		case <-s.wake:
			timer.Reset(s.delay)
			select {
			case <-timer.C:
			case <-s.urge:
				timer.Stop()
			case <-s.stop:
				timer.Stop()
				s.applyAll()
				return
			}
		case <-s.urge:
		case <-s.stop:
			s.applyAll()
			return
		}
		s.applyAll()
	}
}

// applyAll applies the tail, s.maxApply groups per commit, until it is
// empty or a commit fails.
func (s *Logged) applyAll() {
	for {
		s.mu.Lock()
		todo := s.tail[:min(len(s.tail), s.maxApply)]
		s.mu.Unlock()
		if len(todo) == 0 || !s.apply(todo) {
			return
		}
	}
}

// apply commits todo to the file in one transaction; once that commit is
// synced it drops todo from the tail and trims the log. It reports whether
// the commit succeeded.
func (s *Logged) apply(todo []*batch) bool {
	var err error
	s.mu.Lock()
	hook := s.beforeApply
	s.mu.Unlock()
	if hook != nil {
		err = hook()
	}
	if err == nil {
		_, err = s.db.update(func(tx *bolt.Tx) (int, error) { return 0, s.applyIn(tx, todo) })
	}
	last := todo[len(todo)-1].lsn
	s.mu.Lock()
	if err != nil {
		if s.applyErr == nil {
			s.log.Error("store cannot apply its log to the file; the log keeps the entries", "path", s.db.path, "err", err)
		}
		s.applyErr = err
	} else {
		s.applyErr = nil
		s.applied = last
		s.tail = s.tail[len(todo):]
		for _, b := range todo {
			s.behind -= b.size
			for _, r := range b.recs {
				if k, ok := s.keys[r.Key]; ok && k.lsn <= last {
					delete(s.keys, r.Key)
				}
			}
		}
	}
	close(s.caught)
	s.caught = make(chan struct{})
	s.mu.Unlock()
	if err != nil {
		return false
	}
	// Only the first of a run of failures is logged: the next trim retries.
	if err := s.wal.Trim(last); err != nil && !s.trimFailed {
		s.log.Warn("store cannot trim its log", "path", s.db.path, "err", err)
		s.trimFailed = true
	} else if err == nil {
		s.trimFailed = false
	}
	return true
}

// applyIn writes groups to the file in tx, skipping those it holds already
// (a replay after a crash between a commit and the trim), and records the
// last one's LSN.
func (s *Logged) applyIn(tx *bolt.Tx, groups []*batch) error {
	applied := appliedIn(tx)
	keys := 0
	// Entries are appended in key order: full pages, not the half-full
	// ones a split leaves by default, or a group of many entries would
	// take twice their room.
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		bucket, _ := kindBucket(kind)
		tx.Bucket(bucket).FillPercent = 1
	}
	for _, b := range groups {
		if b.lsn <= applied {
			continue
		}
		if b.lsn != applied+1 {
			return &DamagedError{Path: s.db.path, Problem: fmt.Sprintf("log group %d follows group %d", b.lsn, applied)}
		}
		var stored [store.Snapshots + 1]int
		for _, r := range b.recs {
			if r.Key != "" {
				if err := s.db.rememberAt(tx, r, time.Unix(0, b.at)); err != nil {
					return err
				}
				keys++
			}
			if r.Data != nil {
				bucket, _ := kindBucket(r.Kind) // checked by decodeBatch
				if err := addMetaInt(tx, metaBytes, entryCost(len(r.Data))); err != nil {
					return err
				}
				if err := putNext(tx.Bucket(bucket), r.Data); err != nil {
					return err
				}
				stored[r.Kind]++
			}
		}
		for _, kind := range []store.Kind{store.Events, store.Snapshots} {
			bucket, _ := kindBucket(kind)
			if err := addCount(tx, bucket, stored[kind]); err != nil {
				return err
			}
		}
		applied = b.lsn
	}
	v := binary.BigEndian.AppendUint64(nil, applied)
	if err := tx.Bucket(bucketMeta).Put(metaApplied, v); err != nil {
		return fmt.Errorf("record applied log group: %w", err)
	}
	return s.db.prune(tx, store.PrunePerKey*keys+store.PrunePerCommit)
}
