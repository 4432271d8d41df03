package analytics

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Status fetches the service's status document, GET {url}/status: its
// check-in mode (whether data leaves the site, and why not), the last and
// next check-in, the whitelist and the store's counts. It is an operator
// endpoint: the service refuses clients that are not operators (403, a
// *ResponseError). Our service only; the JVM service has no such endpoint.
func (c *Client) Status(ctx context.Context) (json.RawMessage, error) {
	return c.getOperator(ctx, "status", "/status")
}

// CheckInPreview fetches GET {url}/checkin/preview: the check-in mode and
// the exact body the service's next check-in would upload now ("upload"),
// null when nothing would be sent. An operator endpoint, like Status.
func (c *Client) CheckInPreview(ctx context.Context) (json.RawMessage, error) {
	return c.getOperator(ctx, "check-in preview", "/checkin/preview")
}

// getOperator GETs path below the entrypoint URL and returns the JSON
// answer of a 200.
func (c *Client) getOperator(ctx context.Context, op, path string) (json.RawMessage, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, wrapOp(op, err)
	}
	req.Header.Set("Accept", "application/json")
	status, hdr, raw, err := c.do(req)
	if err != nil {
		return nil, &unreachableError{url: c.base.Redacted(), err: err}
	}
	if status != http.StatusOK {
		return nil, wrapOp(op, responseError(status, hdr, raw))
	}
	if !json.Valid(raw) {
		return nil, wrapOp(op, &ResponseError{StatusCode: status, Msg: "the answer is not JSON", Body: raw, Header: hdr})
	}
	return raw, nil
}
