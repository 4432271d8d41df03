package analytics

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-client/analytics/wire"
)

// Sentinel errors. Test for them with errors.Is.
var (
	// ErrUnreachable means the service's entrypoint could not be fetched:
	// connection refused, DNS failure, timeout or TLS failure. The
	// underlying cause stays in the chain for errors.As.
	ErrUnreachable = errors.New("analytics: service unreachable")

	// ErrClosed is returned by calls on a Client or Reporter after Close.
	ErrClosed = errors.New("analytics: closed")

	// ErrQueueFull is returned by a Reporter whose queue has no room for
	// another item; the item was not accepted and the drop is counted.
	ErrQueueFull = errors.New("analytics: queue full")

	// ErrSpoolLost is returned by a durable Reporter whose spool directory
	// was removed or replaced while it ran and could not be recreated:
	// the item was not accepted, and pending items are not on disk.
	ErrSpoolLost = errors.New("analytics: spool lost")
)

// opError is err met while doing op. Its message names the package once,
// however deep the chain: "analytics: store event: service unreachable: ...".
type opError struct {
	op  string
	err error
}

func wrapOp(op string, err error) error { return &opError{op: op, err: err} }

func (e *opError) Error() string { return "analytics: " + e.op + ": " + bareMessage(e.err) }

func (e *opError) Unwrap() error { return e.err }

// unreachableError is ErrUnreachable with the URL and the cause.
type unreachableError struct {
	url string
	err error
}

func (e *unreachableError) Error() string {
	return ErrUnreachable.Error() + ": " + e.url + ": " + bareMessage(e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }

// bareMessage is err's message without the package prefix, and without the
// method and URL of a *url.Error, which the caller names already.
func bareMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue == err && ue.Err != nil {
		err = ue.Err
	}
	return strings.TrimPrefix(err.Error(), "analytics: ")
}

// ValidationError reports a payload that does not fit the value model. It is
// returned before any network traffic.
type ValidationError struct {
	// Path names the offending value, such as "fields.puppetserver.metric4.x"
	// or "metadata.tags[2]".
	Path string
	// Reason says what is wrong with it.
	Reason string
}

func (e *ValidationError) Error() string {
	return "analytics: invalid " + e.Path + ": " + e.Reason
}

// RejectedError is the service's 422 answer with a "rejected" map: the event
// name (or fields) that the service's whitelist refused, with reasons such as
// "Not an expected event".
type RejectedError struct {
	Rejected map[string]string
	// Body is the raw response body.
	Body []byte
}

func (e *RejectedError) Error() string {
	return "analytics: rejected by service: " + formatReasons(e.Rejected)
}

// formatReasons lists name: reason pairs in name order.
func formatReasons(reasons map[string]string) string {
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + reasons[k]
	}
	return strings.Join(parts, "; ")
}

// ResponseError is any other 4xx or 5xx answer from the service. Kind and
// Msg are filled from the service's JSON error shape (wire.Error,
// {"kind":"...","msg":"..."}) when the body has it.
type ResponseError struct {
	StatusCode int
	// Kind is the answer's error kind, e.g. wire.ErrorStorageFull; empty
	// when the body is not in the error shape.
	Kind wire.ErrorKind
	Msg  string
	Body []byte
	// Header holds the response headers (Retry-After, for one).
	Header http.Header
}

// RetryAfter returns the wait the service asked for in a Retry-After header,
// given in seconds or as an HTTP date, and whether it asked for one.
func (e *ResponseError) RetryAfter(now time.Time) (time.Duration, bool) {
	v := e.Header.Get(wire.HeaderRetryAfter)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func (e *ResponseError) Error() string {
	switch {
	case e.Kind != "" && e.Msg != "":
		return fmt.Sprintf("analytics: service answered %d (%s): %s", e.StatusCode, e.Kind, e.Msg)
	case len(e.Body) > 0:
		body := e.Body
		if len(body) > 200 {
			body = body[:200]
		}
		return fmt.Sprintf("analytics: service answered %d: %s", e.StatusCode, strings.TrimSpace(string(body)))
	default:
		return fmt.Sprintf("analytics: service answered %d", e.StatusCode)
	}
}
