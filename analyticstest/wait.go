package analyticstest

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/analytics-client/analytics"
)

// observe wraps the service's handler: after each command it wakes the
// waiters of WaitEvents and WaitSnapshots.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/commands/") {
			s.changeMu.Lock()
			close(s.change)
			s.change = make(chan struct{})
			s.changeMu.Unlock()
		}
	})
}

func (s *Server) changed() <-chan struct{} {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	return s.change
}

// WaitEvents waits until at least n events are stored (for a client that
// reports asynchronously) and returns them all. It fails when ctx ends
// first, reporting how many arrived.
func (s *Server) WaitEvents(ctx context.Context, n int) ([]analytics.EventResult, error) {
	return waitFor(ctx, s, n, "events", s.events)
}

// WaitSnapshots waits until at least n snapshots are stored and returns
// them all. It fails when ctx ends first.
func (s *Server) WaitSnapshots(ctx context.Context, n int) ([]map[string]analytics.Stamped, error) {
	return waitFor(ctx, s, n, "snapshots", s.snapshots)
}

func waitFor[T any](ctx context.Context, s *Server, n int, what string, get func(context.Context) ([]T, error)) ([]T, error) {
	for {
		ch := s.changed() // taken before reading, so no command is missed
		got, err := get(ctx)
		if err != nil {
			return nil, err
		}
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("analyticstest: waiting for %d %s (have %d): %w", n, what, len(got), ctx.Err())
		}
	}
}
