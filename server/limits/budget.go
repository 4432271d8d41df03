package limits

import "sync/atomic"

// Budget is the service-wide budget of request-body bytes held in memory:
// what commands have read and not yet answered. A command takes its share
// as its buffer grows and gives it back when it is answered; when the
// budget has no room, the command is refused at once rather than made to
// wait, so that slow or hostile clients cannot pile up memory or queue the
// others behind them.
//
// Concurrency: Take and Give may be called from any goroutine; they take
// no lock (one atomic counter).
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget is a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Take reserves n bytes and reports whether there was room.
func (b *Budget) Take(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

// Give returns n bytes taken earlier.
func (b *Budget) Give(n int64) { b.used.Add(-n) }

// Used is the number of bytes taken and not yet given back.
func (b *Budget) Used() int64 { return b.used.Load() }
