package analytics

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/internal/version"
	"github.com/analytics-client/analytics/wire"
)

// maxResponseBytes bounds how much of a response body the client reads, so
// a misbehaving service cannot make it allocate without limit.
const maxResponseBytes = 8 << 20

// unreachableMsg is the JVM library's log line for an unreachable service,
// kept word for word so existing log searches keep working.
const unreachableMsg = "Cannot locate analytics service; not reporting"

// Client stores snapshots and events in an analytics service.
//
// Unlike the JVM library, which opens a new connection and fetches the
// entrypoint for every call, a Client keeps connections alive, fetches the
// entrypoint once (concurrent first calls share the fetch) and fetches it
// again only when a command meets a connection error or a 404, which is what
// a moved or restarted service looks like.
//
// A Client is safe for concurrent use.
type Client struct {
	base    *url.URL
	hc      *http.Client
	own     *http.Transport    // nil when the caller supplied HTTPClient
	certs   *tlsfiles.Reloader // the SSL files; nil without SSL
	log     *slog.Logger
	timeout time.Duration

	group singleflight.Group
	ep    atomic.Pointer[Entrypoint]
	down  atomic.Bool // the last entrypoint fetch failed: one log line per outage
	// batchMode is batchUnknown, batchYes or batchNo: whether the service
	// takes batches (see reporter_batch.go). Rediscovery resets it.
	batchMode atomic.Int32
	closed    atomic.Bool
	mu        sync.Mutex // serialises outage-state transitions for logging
}

// New checks cfg and loads its certificates. Every problem is reported up
// front as a *ConfigError naming the setting, the file and what is wrong, so
// a bad installation fails at start rather than at the first report.
func New(cfg Config) (*Client, error) {
	base, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{base: base, log: cfg.Logger, timeout: cfg.Timeout}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if cfg.HTTPClient != nil {
		c.hc = cfg.HTTPClient
		return c, nil
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   c.timeout, // a call's whole budget, as Config.Timeout says
		ExpectContinueTimeout: time.Second,
	}
	if cfg.SSL == nil && base.Scheme == "https" { // it would only fail at the first call
		return nil, &ConfigError{Field: "ssl-opts", Reason: "is required with an https url: " +
			"set ssl-cert, ssl-key and ssl-ca-cert (or an HTTPClient with its own TLS settings)"}
	}
	if cfg.SSL != nil {
		if base.Scheme != "https" {
			return nil, &ConfigError{Field: "ssl-opts", Reason: "is set but url " + cfg.URL + " is not https"}
		}
		certs, err := cfg.SSL.certificates(tlsfiles.Options{Interval: cfg.CertCheckInterval, Logger: c.log,
			OnChange: func(*tlsfiles.Material) { tr.CloseIdleConnections() }})
		if err != nil {
			return nil, err
		}
		c.certs = certs
		useCertificates(tr, certs, cfg.SSL.CRLFile)
	}
	c.own = tr
	c.hc = &http.Client{Transport: tr}
	return c, nil
}

// Close releases the client's idle connections. Calls after Close return
// ErrClosed. Close is safe to call more than once.
func (c *Client) Close() error {
	c.closed.Store(true)
	if c.own != nil {
		c.own.CloseIdleConnections()
	}
	return nil
}

// certExpiry is when the client certificate in use expires; zero without
// one.
func (c *Client) certExpiry() time.Time {
	if c.certs == nil {
		return time.Time{}
	}
	return c.certs.Current().Expiry()
}

// URL returns the entrypoint URL the client was configured with.
func (c *Client) URL() string { return c.base.String() }

// StoreSnapshot validates s and stores it. A 206 answer is not an error:
// the result's Rejected map lists the fields the service's whitelist
// refused, and the rest was stored.
func (c *Client) StoreSnapshot(ctx context.Context, s Snapshot) (*SnapshotResult, error) {
	res := new(SnapshotResult)
	status, err := store(ctx, c, KindSnapshot, s.Validate, s, res)
	if err != nil {
		return nil, err
	}
	res.StatusCode = status
	return res, nil
}

// StoreEvent validates e and stores it. The result carries the service's
// receive time.
func (c *Client) StoreEvent(ctx context.Context, e Event) (*EventResult, error) {
	res := new(EventResult)
	if _, err := store(ctx, c, KindEvent, e.Validate, e, res); err != nil {
		return nil, err
	}
	return res, nil
}

// store validates and encodes payload, sends it as the kind's command and
// decodes the answer into res, keeping the raw body.
func store[R interface{ setRaw(json.RawMessage) }](ctx context.Context, c *Client, kind Kind, validate func() error, payload any, res R) (int, error) {
	if err := validate(); err != nil {
		return 0, err
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return 0, wrapOp("store "+kind.String()+": encode", err)
	}
	status, raw, err := c.command(ctx, kind.String(), body)
	if err != nil {
		return 0, wrapOp("store "+kind.String(), err)
	}
	if err := decodeJSON(raw, res); err != nil {
		return 0, wrapOp("store "+kind.String(), err)
	}
	res.setRaw(raw)
	return status, nil
}

// command posts body to the named command and returns the 2xx status and
// body. A connection failure before the request was sent, or a 404, means
// the service may have moved: the entrypoint is fetched again and the
// command retried once.
func (c *Client) command(ctx context.Context, name string, body []byte) (int, []byte, error) {
	if c.closed.Load() {
		return 0, nil, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	key, _ := ctx.Value(idempotencyKey{}).(string)
	if key == "" {
		key = newID()
	}
	for attempt := 0; ; attempt++ {
		ep, err := c.entrypoint(ctx)
		if err != nil {
			return 0, nil, err
		}
		target, err := ep.commandURL(name)
		if err != nil {
			return 0, nil, err
		}
		status, hdr, raw, err := c.post(ctx, target, body, key)
		retry := status == http.StatusNotFound || (err != nil && !isTimeout(ctx, err))
		if retry {
			// Refused, reset or answered 404: the service may have
			// moved or restarted. Rediscover it; the idempotency key
			// makes the second attempt safe for a service that honours
			// it.
			c.ep.CompareAndSwap(ep, nil)
			if attempt == 0 {
				continue
			}
		}
		if err != nil {
			return 0, nil, err
		}
		if err := responseError(status, hdr, raw); err != nil {
			return 0, nil, err
		}
		return status, raw, nil
	}
}

// post sends one command. Every command carries an Idempotency-Key (the
// caller's, or a fresh one), which also lets net/http replay it on a
// keep-alive connection the service closed while it sat idle.
func (c *Client) post(ctx context.Context, target string, body []byte, key string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["Accept"] = []string{"application/json"}
	req.Header[wire.HeaderIdempotencyKey] = []string{key}
	return c.do(req)
}

// newID returns an idempotency key: the time in nanoseconds and 64 random
// bits, in hex. The time prefix makes keys from one client sort roughly in
// creation order, so the service's key index grows at its end instead of
// touching a random page for every key; the random part keeps keys from
// different clients apart.
func newID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixNano()))
	rand.Read(b[8:]) // never fails: crypto/rand panics rather than return an error
	return hex.EncodeToString(b[:])
}

// do sends req and reads the whole (bounded) body, so the connection goes
// back to the pool.
func (c *Client) do(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := c.send(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read %s response: %w", req.URL.Path, err)
	}
	return resp.StatusCode, resp.Header, raw, nil
}

// send sends req. With SSL files, a TLS failure makes the client look at
// them at once, and when it finds new ones (a renewed certificate, a
// rotated CA bundle) the request is sent again with them, once.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	req.Header.Set("User-Agent", version.UserAgent())
	if c.certs == nil {
		return c.hc.Do(req)
	}
	c.certs.Poll() // once per interval; new files retire the pooled connections
	gen := c.certs.Generation()
	resp, err := c.hc.Do(req)
	if err == nil || !isTLSConfigError(err) {
		return resp, err
	}
	_ = c.certs.Reload() // a failure is logged by the Reloader, once per change of the files
	if c.certs.Generation() == gen || (req.Body != nil && req.GetBody == nil) {
		return nil, err
	}
	again := req.Clone(req.Context())
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	return c.hc.Do(again)
}

// responseError turns a non-2xx answer into the error a caller can act on.
func responseError(status int, hdr http.Header, raw []byte) error {
	if status >= 200 && status < 300 {
		return nil
	}
	var shape struct {
		Rejected map[string]string `json:"rejected"`
		Kind     wire.ErrorKind    `json:"kind"`
		Msg      string            `json:"msg"`
	}
	_ = json.Unmarshal(raw, &shape) // not JSON: the raw body still speaks
	if status == http.StatusUnprocessableEntity && shape.Rejected != nil {
		return &RejectedError{Rejected: shape.Rejected, Body: raw}
	}
	return &ResponseError{StatusCode: status, Kind: shape.Kind, Msg: shape.Msg, Body: raw, Header: hdr}
}

func isTimeout(ctx context.Context, err error) bool {
	var ne net.Error
	return ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout())
}

type idempotencyKey struct{}

// WithIdempotencyKey returns a context that makes StoreEvent and
// StoreSnapshot send key in their Idempotency-Key header instead of a fresh
// random one. A service that
// honours it (ours does; the JVM service ignores it) stores the entry once
// per key and answers a repeat with the first answer, so a retry after a
// lost answer does not duplicate the entry.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}
