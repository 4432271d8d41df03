package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// entryOverhead is what the store spends on an entry beyond its data
// (sequence key, page and index space), as storeShares counts it.
const entryOverhead = 64

// storeShares bounds the room each client's entries take in the store
// until the next check-in frees it (Config.MaxClientStoreBytes), so that
// one client filling the store gets 507 alone and the others are still
// stored. It counts what this process stored since its start or its last
// check-in, not what the file holds: a restart, or another replica
// sharing a database, starts a client's count again.
type storeShares struct {
	limit int64 // zero or negative: no share

	mu   sync.Mutex
	used map[string]int64
}

// take charges n bytes to client, reporting whether they fit its share.
func (q *storeShares) take(client string, n int64) bool {
	if q.limit <= 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used == nil {
		q.used = make(map[string]int64)
	}
	if q.used[client]+n > q.limit {
		return false
	}
	q.used[client] += n
	return true
}

// give takes back n bytes take charged for an entry that was not stored.
func (q *storeShares) give(client string, n int64) {
	if q.limit <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.used[client] -= n; q.used[client] <= 0 {
		delete(q.used, client)
	}
}

// reset forgets every count: a check-in has freed the room.
func (q *storeShares) reset() {
	q.mu.Lock()
	clear(q.used)
	q.mu.Unlock()
}

// entryCost is what p's entry is charged to its client's share.
func entryCost(p prepared) int64 {
	if p.data == nil {
		return 0
	}
	return int64(len(p.data)) + entryOverhead
}

// chargeStore charges p's entry to the client in ctx, or returns the 507
// for a client past its share.
func (s *Server) chargeStore(ctx context.Context, p prepared) *apiError {
	if n := entryCost(p); n == 0 || s.storeShares.take(clientOf(ctx), n) {
		return nil
	}
	s.storeLog.Log(ctx, slog.LevelError, "client-store-share:"+clientOf(ctx),
		"store share full: this client's commands refused with 507 until a check-in frees room",
		"certname", clientOrDash(ctx), "limit-bytes", s.cfg.MaxClientStoreBytes)
	return &apiError{Status: http.StatusInsufficientStorage, Kind: KindStorageFull,
		RetryAfter: int(StoreFullRetryAfter / time.Second),
		Msg: "This client's entries take its share of the store (" + strconv.FormatInt(s.cfg.MaxClientStoreBytes, 10) +
			" bytes, analytics.max-client-store-bytes) already; nothing was stored. Retry after the service has checked in."}
}

func clientOrDash(ctx context.Context) string {
	if c := clientOf(ctx); c != "" {
		return c[len("cn:"):]
	}
	return "-"
}

// unchargeStore gives back the charge of p's entry when the store did not
// store it (an error, or a repeated key).
func (s *Server) unchargeStore(ctx context.Context, p prepared, stored bool) {
	if !stored {
		s.storeShares.give(clientOf(ctx), entryCost(p))
	}
}
