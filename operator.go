package analytics

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/analytics-client/analytics/wire"
)

// Status fetches the service's status document, GET {url}/status: its
// check-in mode (whether data leaves the site, and why not), the last and
// next check-in, the whitelist and the store's counts. It is an operator
// endpoint: the service refuses clients that are not operators (403, a
// *ResponseError). Our service only; the JVM service has no such endpoint.
func (c *Client) Status(ctx context.Context) (wire.Status, error) {
	var st wire.Status
	err := c.getOperator(ctx, "status", "/status", &st)
	return st, err
}

// CheckInPreview fetches GET {url}/checkin/preview: the check-in mode and
// the exact body the service's next check-in would upload now
// (Preview.Upload), JSON null when nothing would be sent. An operator
// endpoint, like Status. The whole upload is held in memory.
func (c *Client) CheckInPreview(ctx context.Context) (wire.Preview, error) {
	var p wire.Preview
	err := c.getOperator(ctx, "check-in preview", "/checkin/preview", &p)
	return p, err
}

// getOperator GETs path below the entrypoint URL and decodes the JSON
// answer of a 200 into v. Fields v does not know are ignored, so that a
// newer service's documents still decode.
func (c *Client) getOperator(ctx context.Context, op, path string, v any) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return wrapOp(op, err)
	}
	req.Header.Set("Accept", "application/json")
	status, hdr, raw, err := c.do(req)
	if err != nil {
		return &unreachableError{url: c.base.Redacted(), err: err}
	}
	if status != http.StatusOK {
		return wrapOp(op, responseError(status, hdr, raw))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return wrapOp(op, &ResponseError{StatusCode: status, Msg: "the answer is not the expected JSON document: " + err.Error(),
			Body: raw, Header: hdr})
	}
	return nil
}
