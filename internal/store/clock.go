package store

import (
	"sync"
	"time"
)

// KeyClock is the clock idempotency keys age by. It starts at a time the
// engine chooses when it opens (the latest time a bbolt file recorded, the
// database's clock on PostgreSQL) and from then on moves only by elapsed
// (monotonic) time: a wall clock stepped forward does not expire keys early,
// one stepped back (or corrected after an error) does not make them live
// for ever, a replica with a wrong clock does not age the others' keys, and
// it never runs backwards.
type KeyClock struct {
	mu      sync.Mutex
	base    time.Time
	start   time.Duration
	elapsed func() time.Duration
	last    time.Time
}

// NewKeyClock returns a clock showing start now, advancing by elapsed
// (Options.Elapsed).
func NewKeyClock(start time.Time, elapsed func() time.Duration) *KeyClock {
	return &KeyClock{base: start, start: elapsed(), elapsed: elapsed, last: start}
}

// Now is the clock's time; it never goes backwards.
func (c *KeyClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.base.Add(c.elapsed() - c.start); t.After(c.last) {
		c.last = t
	}
	return c.last
}

// Expired reports whether a key stored at storedAt (by this clock or
// another replica's) is older than retention.
func (c *KeyClock) Expired(storedAt time.Time, retention time.Duration) bool {
	return c.Now().Sub(storedAt) >= retention
}
