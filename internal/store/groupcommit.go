package store

import (
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
	db       *bolt.DB
	onCommit func(writes int, took time.Duration) // nil: not observed

	mu      sync.Mutex
	queue   []*call
	stopped bool

	wake chan struct{} // capacity 1: "the queue is not empty"
	stop chan struct{}
	done chan struct{}
}

type call struct {
	fn  func(*bolt.Tx) error
	err chan error
}

func newCommitter(db *bolt.DB, onCommit func(int, time.Duration)) *committer {
	c := &committer{db: db, onCommit: onCommit, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// do runs fn in a group commit and returns once the group is on disk. fn
// may run more than once (when another member of its group fails, the
// group is rolled back and re-run without it), so it must set its results
// from scratch on each run.
func (c *committer) do(fn func(*bolt.Tx) error) error {
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
// and the rest are committed without it.
func (c *committer) commit(group []*call) {
	for len(group) > 0 {
		failed := -1
		start := time.Now()
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, cl := range group {
				if err := cl.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			if err == nil && c.onCommit != nil {
				c.onCommit(len(group), time.Since(start))
			}
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
