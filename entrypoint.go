package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/analytics-client/analytics/internal/jsonerr"
)

// Entrypoint is what the service advertises at its entrypoint URL: the
// commands it accepts, where to send them, and its version. Its JSON form
// (MarshalJSON) is the document exactly as the service sent it.
type Entrypoint struct {
	doc entrypointDoc
	raw json.RawMessage
	// urls holds each command's absolute URL, resolved once.
	urls map[string]string
}

// entrypointDoc is the part of the entrypoint document the client reads.
type entrypointDoc struct {
	Commands map[string]struct {
		ID string `json:"id"` // the URL to POST the command to
	} `json:"commands"`
	Version struct {
		Server string `json:"server"`
	} `json:"version"`
}

// ServerVersion returns the service's own version as it advertises it.
func (e *Entrypoint) ServerVersion() string { return e.doc.Version.Server }

// Commands returns the names of the advertised commands, sorted.
func (e *Entrypoint) Commands() []string { return slices.Sorted(maps.Keys(e.urls)) }

// CommandURL returns the absolute URL that the named command is posted to,
// and whether the service advertises it.
func (e *Entrypoint) CommandURL(name string) (string, bool) {
	u, ok := e.urls[name]
	return u, ok
}

// MarshalJSON returns the entrypoint document as the service sent it.
func (e *Entrypoint) MarshalJSON() ([]byte, error) { return slices.Clone(e.raw), nil }

func (e *Entrypoint) commandURL(name string) (string, error) {
	if u, ok := e.urls[name]; ok {
		return u, nil
	}
	return "", fmt.Errorf("%w: the entrypoint advertises no %q command", ErrUnreachable, name)
}

// Entrypoint returns the service's entrypoint, fetching it if the client
// has none cached.
func (c *Client) Entrypoint(ctx context.Context) (*Entrypoint, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.entrypoint(ctx)
}

// entrypoint returns the cached entrypoint or fetches it. Concurrent callers
// share one fetch; each still honours its own context.
func (c *Client) entrypoint(ctx context.Context) (*Entrypoint, error) {
	if ep := c.ep.Load(); ep != nil {
		return ep, nil
	}
	ch := c.group.DoChan("entrypoint", func() (any, error) {
		// The shared fetch must not die with whichever caller started it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		return c.fetchEntrypoint(fctx)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Entrypoint), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: fetching the entrypoint: %w", ErrUnreachable, ctx.Err())
	}
}

func (c *Client) fetchEntrypoint(ctx context.Context) (*Entrypoint, error) {
	ep, err := c.getEntrypoint(ctx)
	if err != nil {
		c.markDown(err)
		return nil, &unreachableError{url: c.base.Redacted(), err: err}
	}
	c.markUp()
	c.batchMode.Store(batchUnknown) // a different service may answer now
	c.ep.Store(ep)
	return ep, nil
}

func (c *Client) getEntrypoint(ctx context.Context) (*Entrypoint, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	status, hdr, raw, err := c.do(req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, wrapOp("entrypoint", responseError(status, hdr, raw))
	}
	ep := &Entrypoint{raw: raw}
	if err := json.Unmarshal(raw, &ep.doc); err != nil {
		return nil, errors.New("entrypoint is not the expected JSON: " + jsonerr.Describe(err))
	}
	ep.urls = make(map[string]string, len(ep.doc.Commands))
	for name, cmd := range ep.doc.Commands {
		u, err := c.base.Parse(cmd.ID)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("entrypoint command %q has an unusable id %q", name, cmd.ID)
		}
		ep.urls[name] = u.String()
	}
	return ep, nil
}

// markDown logs the JVM library's line once per outage, not once per call.
func (c *Client) markDown(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down.Swap(true) {
		return
	}
	c.log.Info(unreachableMsg, slog.String("url", c.base.Redacted()), slog.Any("error", rootCause(err)))
}

func (c *Client) markUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down.Swap(false) {
		c.log.Info("Analytics service reachable again", slog.String("url", c.base.Redacted()))
	}
}

// rootCause strips url.Error's method and URL prefix, which the log line
// already carries.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
