package store

import (
	"errors"
	"sync"
	"time"
)

// Committer group-commits writes without a timer: callers queue a write
// function and wait; one goroutine runs every function queued so far in a
// single transaction (one sync), and meanwhile new callers queue up
// for the next one. A lone write is committed at once, and under load each
// commit takes everything that arrived during the previous one, so
// throughput grows with concurrency instead of being capped at one sync
// per write. (bbolt's own Batch waits a fixed delay for a group to form,
// which every write then pays as latency.)
//
// T is the storage engine's transaction (bbolt's *bolt.Tx, pgstore's own).
// Create it with NewCommitter and stop it with Close.
type Committer[T any] struct {
	// update runs a function in one write transaction and commits it; an
	// error from the function rolls the transaction back.
	update func(func(T) error) error
	// synced reports whether a commit reaches stable storage before
	// update returns.
	synced func() bool
	// onCommit, when set, is called after each successful commit, before
	// any member of the group learns its result (see Options.OnCommit). It
	// must be quick: the next group waits for it.
	onCommit func(CommitInfo)

	// gather is the longest a commit waits for the callers of the previous
	// one to come back (see NewCommitterGather); zero: it never waits.
	gather time.Duration
	// last is how many calls the previous commit carried and lastTook how
	// long it took; only run's goroutine uses them.
	last     int
	lastTook time.Duration

	mu      sync.Mutex
	queue   []*call[T]
	stopped bool

	wake chan struct{} // capacity 1: "the queue is not empty"
	stop chan struct{}
	done chan struct{}
}

type call[T any] struct {
	fn  func(T, *Group) error
	err chan error
}

// Group is what the members of one run of a group share.
type Group struct {
	// Added is the bytes of entries the run has added so far, which the
	// size limit counts before the engine has counted them itself.
	Added int64
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

// NewCommitter starts a Committer's goroutine. update runs a function in
// one write transaction and commits it (an error from the function rolls it
// back); synced reports whether a commit reaches stable storage before
// update returns; onCommit (Options.OnCommit) may be nil.
func NewCommitter[T any](update func(func(T) error) error, synced func() bool, onCommit func(CommitInfo)) *Committer[T] {
	return NewCommitterGather(update, synced, onCommit, 0)
}

// NewCommitterGather is NewCommitter for a storage whose commit is one sync
// (a write-ahead log): with a fixed number of callers that each wait for
// their commit, the callers of one commit come back together, and the
// first to come back would otherwise start the next commit alone while the
// rest queue for the one after, halving the group. So when fewer calls are
// queued than the previous commit carried, a commit waits for more, until
// that many are queued, for at most as long as the previous commit took and
// never longer than gather: a commit's latency at most doubles, and a lone
// caller never waits.
func NewCommitterGather[T any](update func(func(T) error) error, synced func() bool, onCommit func(CommitInfo), gather time.Duration) *Committer[T] {
	c := &Committer[T]{update: update, synced: synced, onCommit: onCommit, gather: gather,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// Do runs fn in a group commit and returns once the group is on disk. fn
// may run more than once (when another member of its group fails, the
// group is rolled back and re-run without it), so it must set its results
// from scratch on each run.
func (c *Committer[T]) Do(fn func(T, *Group) error) error {
	cl := &call[T]{fn: fn, err: make(chan error, 1)}
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

func (c *Committer[T]) run() {
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
func (c *Committer[T]) commitQueued() {
	for {
		c.waitForGroup()
		c.mu.Lock()
		group := c.queue
		c.queue = nil
		c.mu.Unlock()
		if len(group) == 0 {
			return
		}
		c.last = len(group)
		start := time.Now()
		c.commit(group)
		c.lastTook = time.Since(start)
	}
}

// waitForGroup waits until as many calls are queued as the previous commit
// carried, for at most as long as that commit took (and c.gather). New
// calls wake it; Close ends the wait.
func (c *Committer[T]) waitForGroup() {
	wait := min(c.gather, c.lastTook)
	if wait <= 0 {
		return
	}
	var timer *time.Timer
	for {
		c.mu.Lock()
		n := len(c.queue)
		c.mu.Unlock()
		if n == 0 || n >= c.last {
			break
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		}
		select {
		case <-c.wake:
		case <-timer.C:
			return
		case <-c.stop:
			return
		}
	}
}

// commit runs group in one transaction. A member that fails gets its error
// and the rest are committed without it. An error wrapping ErrDamaged (for
// bbolt, a page it cannot read) fails the whole group.
func (c *Committer[T]) commit(group []*call[T]) {
	for len(group) > 0 {
		failed := -1
		start := time.Now()
		err := c.update(func(tx T) error {
			g := &Group{}
			for i, cl := range group {
				if err := cl.fn(tx, g); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if err == nil && c.onCommit != nil {
			c.onCommit(CommitInfo{Synced: c.synced(), Calls: len(group), Took: time.Since(start)})
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

// Close commits what is queued, refuses new writes (Do returns ErrClosed)
// and stops the goroutine.
func (c *Committer[T]) Close() {
	c.mu.Lock()
	c.stopped = true
	c.mu.Unlock()
	close(c.stop)
	<-c.done
}
