package analytics

import (
	"context"
	"log/slog"
	"time"
)

// transport is everything a Reporter uses of its Client; *Client is the
// one implementation. Keeping the list here lets the two change apart.
type transport interface {
	// command posts one command (its Idempotency-Key from ctx) and returns
	// the 2xx status and body, or the error a non-2xx answer makes.
	command(ctx context.Context, name string, body []byte) (int, []byte, error)
	// batch posts items as one batch command and returns a result per
	// item; errNoBatch means the service takes no batches.
	batch(ctx context.Context, items []batchItem) ([]batchResult, error)
	// batches reports whether batch is worth trying: false once the
	// service answered that it takes none.
	batches() bool
	// certSource returns the client's certificate files, nil without
	// SSL files.
	certSource() certSource
	// certExpiry is when the client certificate in use expires; zero
	// without one.
	certExpiry() time.Time
	// logger is the client's logger.
	logger() *slog.Logger
}

// certSource is the client's certificate files as the Reporter waits on
// them (see Reporter.pause): *tlsfiles.Reloader.
type certSource interface {
	Generation() uint64
	Changed() <-chan struct{}
	Interval() time.Duration
	Reload() error
}

var _ transport = (*Client)(nil)

func (c *Client) batches() bool { return c.batchMode.Load() != batchNo }

func (c *Client) certSource() certSource {
	if c.certs == nil {
		return nil // not a nil *Reloader in a non-nil interface
	}
	return c.certs
}

func (c *Client) logger() *slog.Logger { return c.log }
