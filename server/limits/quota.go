package limits

import "sync"

// Quota bounds what each client (a key) has taken of a resource until it
// is Reset: the service's per-client share of the store, which a check-in
// frees. Limit zero or negative bounds nothing.
//
// Concurrency: every method may be called from any goroutine.
type Quota struct {
	limit int64

	mu   sync.Mutex
	used map[string]int64
}

// NewQuota bounds each client to limit.
func NewQuota(limit int64) *Quota { return &Quota{limit: limit, used: make(map[string]int64)} }

// Take charges n to client, reporting whether it fit the client's limit.
func (q *Quota) Take(client string, n int64) bool {
	if q.limit <= 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used[client]+n > q.limit {
		return false
	}
	q.used[client] += n
	return true
}

// Give takes back n that Take charged to client.
func (q *Quota) Give(client string, n int64) {
	if q.limit <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used[client] -= n; q.used[client] <= 0 {
		delete(q.used, client)
	}
}

// Reset forgets every charge.
func (q *Quota) Reset() {
	q.mu.Lock()
	clear(q.used)
	q.mu.Unlock()
}
