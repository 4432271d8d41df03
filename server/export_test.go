package server

import (
	"context"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server/checkin"
)

// NewWithStore is New with a given store, for benchmarks that separate the
// HTTP path from the storage cost.
var NewWithStore = newServer

// SetStoreCommitHook makes New pass fn to the store as
// store.Options.OnCommit, so that a test sees each commit's sync.
func SetStoreCommitHook(c *Config, fn func(store.CommitInfo)) { c.onStoreCommit = fn }

// ScheduledCheckIn is the check-in the daily timer makes.
func (s *Server) ScheduledCheckIn(ctx context.Context) (checkin.Result, error) {
	return s.checker.Scheduled(ctx)
}
