package checkin

import (
	"context"
	"errors"
	"time"

	"github.com/analytics-client/analytics/wire"
)

// note records a check-in's outcome and passes it to Config.Done.
func (c *Checker) note(at time.Time, res Result, err error) {
	rec := &wire.CheckInRecord{Time: at, Events: res.Events, Snapshots: res.Snapshots}
	switch {
	case err != nil:
		rec.Result, rec.Error = wire.CheckInFailure, publicError(err)
	case res.Skipped != "":
		rec.Result, rec.Skipped = wire.CheckInSkipped, res.Skipped
	default:
		rec.Result = wire.CheckInSuccess
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
func (c *Checker) Last() *wire.CheckInRecord {
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
