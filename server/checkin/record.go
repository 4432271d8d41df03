package checkin

import (
	"context"
	"errors"
	"time"
)

// Check-in results reported by the service's status and counted by
// analytics_checkins_total.
const (
	Success = "success"
	Failure = "failure"
	Skipped = "skipped"
)

// Record is the outcome of one check-in, as operators see it.
type Record struct {
	Time time.Time `json:"time"`
	// Result is Success, Failure or Skipped.
	Result string `json:"result"`
	// Events and Snapshots count what was uploaded.
	Events    int `json:"events"`
	Snapshots int `json:"snapshots"`
	// Error says why a failed check-in failed.
	Error string `json:"error,omitempty"`
	// Skipped says why a skipped check-in sent nothing.
	Skipped string `json:"skipped,omitempty"`
}

// note records a check-in's outcome and passes it to Config.Done.
func (c *Checker) note(at time.Time, res Result, err error) {
	rec := &Record{Time: at, Events: res.Events, Snapshots: res.Snapshots}
	switch {
	case err != nil:
		rec.Result, rec.Error = Failure, publicError(err)
	case res.Skipped != "":
		rec.Result, rec.Skipped = Skipped, res.Skipped
	default:
		rec.Result = Success
	}
	if c.cfg.Done != nil {
		c.cfg.Done(*rec)
	}
	c.recMu.Lock()
	c.last = rec
	c.recMu.Unlock()
}

// publicError is the text of a check-in error that operators see: an
// *Error names the URL and the reason only; anything else is a storage
// problem whose details stay in the log.
func publicError(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Error()
	}
	if errors.Is(err, context.Canceled) {
		return "server: check-in: cancelled"
	}
	return "server: check-in: storage error (see the service log)"
}

// Last returns a copy of the last check-in's record, nil before the first.
func (c *Checker) Last() *Record {
	c.recMu.Lock()
	defer c.recMu.Unlock()
	if c.last == nil {
		return nil
	}
	r := *c.last
	return &r
}

// Next is when the daily check-in fires next after now: Run's ticker
// fires every Interval after Config.Started. Zero when there is no
// periodic check-in.
func (c *Checker) Next(now time.Time) time.Time {
	if c.cfg.Interval <= 0 {
		return time.Time{}
	}
	n := now.Sub(c.cfg.Started)/c.cfg.Interval + 1
	return c.cfg.Started.Add(n * c.cfg.Interval)
}
