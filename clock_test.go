package analytics_test

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Reporter clock that moves only when the test says so, and
// tells the test when someone waits on it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	added   chan struct{} // closed and replaced when a waiter is added
	running bool          // time jumps to every deadline at once
}

type fakeWaiter struct {
	at time.Time
	d  time.Duration
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC), added: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.running {
		c.now = c.now.Add(max(d, 0))
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at: c.now.Add(d), d: d, ch: ch})
	close(c.added)
	c.added = make(chan struct{})
	return ch
}

// waitSleepers waits until at least n waits are pending and returns their
// durations, in the order they began.
func (c *fakeClock) waitSleepers(t *testing.T, n int) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		c.mu.Lock()
		if len(c.waiters) >= n {
			ds := make([]time.Duration, len(c.waiters))
			for i, w := range c.waiters {
				ds[i] = w.d
			}
			c.mu.Unlock()
			return ds
		}
		added := c.added
		c.mu.Unlock()
		select {
		case <-added:
		case <-ctx.Done():
			t.Fatalf("no %d waits on the clock before the deadline", n)
		}
	}
}

// pending returns the number of waits not yet over.
func (c *fakeClock) pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// Advance moves the clock by d and ends the waits that are then over.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waiters = kept
}

// run ends every wait at once from now on, moving the clock to its end.
func (c *fakeClock) run() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = true
	for _, w := range c.waiters {
		c.now = maxTime(c.now, w.at)
		w.ch <- c.now
	}
	c.waiters = nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
