package analytics

import (
	"slices"
	"strings"
	"sync"
)

// Names of the user callbacks, as Close reports them.
const (
	callbackOutcome   = "an OnOutcome callback"
	callbackSnapshots = "a ReportSnapshots function"
)

// callbacks tracks the user callbacks running, so that Close can tell a
// goroutine blocked in one, which may never return, from one about to exit.
type callbacks struct {
	mu      sync.Mutex
	running map[string]int
	changed chan struct{} // closed and replaced at an enter...
	watched bool          // ...if state was asked for since
}

func (c *callbacks) init() {
	c.running = make(map[string]int)
	c.changed = make(chan struct{})
}

func (c *callbacks) enter(name string) {
	c.mu.Lock()
	c.running[name]++
	if c.watched {
		close(c.changed)
		c.changed = make(chan struct{})
		c.watched = false
	}
	c.mu.Unlock()
}

func (c *callbacks) leave(name string) {
	c.mu.Lock()
	c.running[name]--
	c.mu.Unlock()
}

// state names the callbacks running ("" for none) and returns a channel
// closed when another one starts.
func (c *callbacks) state() (string, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.watched = true
	var names []string
	for name, n := range c.running {
		if n > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, " and "), c.changed
}
