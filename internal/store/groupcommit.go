package store

import (
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// committer group-commits writes without a timer: callers queue a write
// function and wait; one goroutine runs every function queued so far in a
// single bbolt transaction (one sync), and meanwhile new callers queue up
// for the next one. A lone write is committed at once, and under load each
// commit takes everything that arrived during the previous one, so
// throughput grows with concurrency instead of being capped at one sync
// per write. (bbolt's own Batch waits a fixed delay for a group to form,
// which every write then pays as latency.)
type committer struct {
	db   *bolt.DB
	path string
	// onCommit, when set, is called after each successful commit, before
	// any member of the group learns its result (see Options.OnCommit). It
	// must be quick: the next group waits for it.
	onCommit func(CommitInfo)

	mu      sync.Mutex
	queue   []*call
	stopped bool

	wake chan struct{} // capacity 1: "the queue is not empty"
	stop chan struct{}
	done chan struct{}
}

type call struct {
	fn  func(*bolt.Tx, *txGroup) error
	err chan error
}

// txGroup is what the members of one run of a group share.
type txGroup struct {
	// added is the bytes of entries the run has added so far, which the
	// size limit counts before bbolt has allocated pages for them.
	added int64
}

// CommitInfo describes one commit, for Options.OnCommit.
type CommitInfo struct {
	// Synced reports that the storage engine synced the commit to stable
	// storage before the call (bbolt's fdatasync of its pages and meta).
	Synced bool
	// Calls is how many Append calls (and other writes) the commit
	// carried.
	Calls int
	// Took is how long the commit took, sync included.
	Took time.Duration
}

func newCommitter(db *bolt.DB, path string, onCommit func(CommitInfo)) *committer {
	c := &committer{db: db, path: path, onCommit: onCommit,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a group commit and returns once the group is on disk. fn
// may run more than once (when another member of its group fails, the
// group is rolled back and re-run without it), so it must set its results
// from scratch on each run.
func (c *committer) do(fn func(*bolt.Tx, *txGroup) error) error {
	cl := &call{fn: fn, err: make(chan error, 1)}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, cl)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return <-cl.err
}

func (c *committer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			c.commitQueued()
			return
		}
		c.commitQueued()
	}
}

// commitQueued commits groups until the queue is empty.
func (c *committer) commitQueued() {
	for {
		c.mu.Lock()
		group := c.queue
		c.queue = nil
		c.mu.Unlock()
		if len(group) == 0 {
			return
		}
		c.commit(group)
	}
}

// commit runs group in one transaction. A member that fails gets its error
// and the rest are committed without it. A panic in bbolt (a page it cannot
// read) fails the whole group with ErrDamaged rather than the process.
func (c *committer) commit(group []*call) {
	for len(group) > 0 {
		failed := -1
		start := time.Now()
		err := guard(c.path, func() error {
			return c.db.Update(func(tx *bolt.Tx) error {
				g := &txGroup{}
				for i, cl := range group {
					if err := cl.fn(tx, g); err != nil {
						failed = i
						return err
					}
				}
				return nil
			})
		})
		if err == nil && c.onCommit != nil {
			// bbolt syncs inside Commit exactly when NoSync is off.
			c.onCommit(CommitInfo{Synced: !c.db.NoSync, Calls: len(group), Took: time.Since(start)})
		}
		if failed < 0 || errors.Is(err, ErrDamaged) {
			for _, cl := range group {
				cl.err <- err // nil, or the commit's own failure for all
			}
			return
		}
		group[failed].err <- err
		group = append(group[:failed], group[failed+1:]...)
	}
}

// close commits what is queued, refuses new writes and stops the goroutine.
func (c *committer) close() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	close(c.stop)
	<-c.done
}
