package main

import (
	"context"
	"fmt"
)

// interruptible runs step, a start-up step that takes no context (reading
// a file named in the configuration blocks for ever when it is a named
// pipe), and returns when it does or when ctx ends, whichever is first:
// SIGTERM stops the service at every step of its start. An abandoned
// step's goroutine is left behind; the process is exiting.
func interruptible[T any](ctx context.Context, what string, step func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := step()
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("start-up interrupted while %s: %w", what, context.Cause(ctx))
	}
}
