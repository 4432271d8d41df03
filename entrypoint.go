package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// Entrypoint is what the service advertises at its entrypoint URL: the
// commands it accepts, where to send them, and its version.
type Entrypoint struct {
	Commands map[string]Command `json:"commands"`
	Version  struct {
		Server string `json:"server"`
	} `json:"version"`
	// Raw is the response body as received.
	Raw json.RawMessage `json:"-"`

	// urls holds each command's absolute URL, resolved once.
	urls map[string]string
}

// Command describes one command of the entrypoint.
type Command struct {
	Name string `json:"name"`
	Rel  string `json:"rel"`
	// ID is the URL to POST the command to.
	ID     string           `json:"id"`
	Params map[string]Param `json:"params"`
}

// Param describes one parameter of a command.
type Param struct {
	Datatype string `json:"datatype"`
	Optional string `json:"optional,omitempty"`
}

// ServerVersion returns the service's own version as it advertises it.
func (e *Entrypoint) ServerVersion() string { return e.Version.Server }

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
	ep := &Entrypoint{Raw: raw}
	if err := json.Unmarshal(raw, ep); err != nil {
		return nil, fmt.Errorf("entrypoint is not the expected JSON: %w", err)
	}
	ep.urls = make(map[string]string, len(ep.Commands))
	for name, cmd := range ep.Commands {
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
