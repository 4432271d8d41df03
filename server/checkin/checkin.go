// Package checkin is the service's check-in: what it uploads to the
// upstream telemetry server (the stored events and the merged snapshots),
// when (once a day and on request), whether it may (the opt-out file, the
// product name, the update server), the whitelist the answer may carry,
// and the preview of the next upload that operators read.
//
// The service core builds one [Checker] from its Config and its store and
// runs its daily loop; the Checker reads and deletes entries only through
// the narrow [Store] interface and hands a new whitelist back through
// Config.InstallWhitelist.
//
// # Concurrency
//
// Every method of a Checker may be called from any goroutine. Check-ins
// (CheckIn, Scheduled, the daily loop) are serialised by one mutex, so two
// never upload and then delete the same entries; across replicas sharing a
// PostgreSQL store the site-wide lock of Config.Shared does the same. The
// hooks in Config (InstallWhitelist, Done) are called from the goroutine
// checking in, with that mutex held: they must not start a check-in. The
// last check-in's Record has a lock of its own, so Last never waits for a
// check-in in progress. At most two previews (each reads the whole store)
// are built at once; the others wait for a turn or for their context.
package checkin

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/analytics-client/analytics/server/whitelist"
)

// OptOutFile is the file in Config.ConfDir whose presence turns
// check-in off (and empties the queue instead).
const OptOutFile = "analytics-opt-out"

// checkInGroup is the check-in's "group". The JVM service passes only the
// artifact id on and always sends this value, whatever
// product.name.group-id says; the upstream expects it.
const checkInGroup = "puppetlabs.packages"

// Result says what a check-in did.
type Result struct {
	// Skipped is the reason the check-in was skipped, empty otherwise:
	// with the opt-out file or no product name the stored entries were
	// discarded; when another replica sharing the database was checking
	// in (SkippedOtherReplica), nothing was touched.
	Skipped string
	// Response is the update server's answer, a JSON object.
	Response json.RawMessage
	// Events and Snapshots count the uploaded (and then discarded) entries.
	Events, Snapshots int
}

// Error reports a failed check-in: nothing was discarded, the entries stay
// for the next try.
type Error struct {
	URL    string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	s := "server: check-in"
	if e.URL != "" {
		s += " to " + e.URL
	}
	return s + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// SkippedOtherReplica is Result.Skipped when another replica that
// shares the PostgreSQL store holds the site's check-in lock: it uploads
// (and then discards) the entries, so this one leaves them alone.
const SkippedOtherReplica = "another replica is checking in"

// SkippedSiteCheckedIn is Result.Skipped of a daily check-in when a
// replica sharing the PostgreSQL store checked in for the site less than
// Config.Interval ago: the replicas check in once a day between
// them, and the entries wait for the next one.
const SkippedSiteCheckedIn = "another replica checked in for the site within the interval"

// Shared is implemented by stores shared by several replicas: fn runs
// only while this replica holds the site-wide check-in lock (ran is false
// when another replica holds it), and the site's last check-in is kept in
// the store so that the replicas' daily check-ins make one a day between
// them.
type Shared interface {
	TryExclusive(ctx context.Context, fn func(context.Context) error) (ran bool, err error)
	LastCheckIn(ctx context.Context) (at time.Time, ok bool, err error)
	NoteCheckIn(ctx context.Context, at time.Time) error
}

// The collections, as Store names them.
const (
	Events    = "events"
	Snapshots = "snapshots"
)

// Store is what a check-in needs of the service's store: read the entries
// of a collection (Events, Snapshots) in arrival order and delete what was
// uploaded.
type Store interface {
	// Scan calls fn with the sequence number and data of each entry of
	// the collection, in arrival order, until fn fails.
	Scan(ctx context.Context, collection string, fn func(seq uint64, data []byte) error) error
	// DeleteThrough deletes the entries of the collection up to seq.
	DeleteThrough(ctx context.Context, collection string, seq uint64) error
	// Range returns the first and newest sequence numbers of the
	// collection (0, 0 when it is empty).
	Range(ctx context.Context, collection string) (first, last uint64, err error)
	// Pin remembers value under key, durably, unless key holds a value
	// already: then it returns that one (prior) and keeps it.
	Pin(ctx context.Context, key, value string) (prior string, err error)
}

// Throttle logs a condition at most once per interval per key, counting
// the others (internal/logthrottle's Logger).
type Throttle interface {
	Log(ctx context.Context, level slog.Level, key, msg string, args ...any)
}

// Config is what a Checker needs from the service's configuration. Every
// field is required unless it says otherwise; the core fills in its
// defaults first.
type Config struct {
	// Product, Version, Certname, CAFile, ConfDir and Interval are the
	// service's CheckInConfig, defaults applied.
	Product, Version, Certname, CAFile, ConfDir string
	Interval                                    time.Duration
	// UpdateServerURL is where check-ins POST; empty means no upstream.
	UpdateServerURL string
	HTTPClient      *http.Client
	Logger          *slog.Logger
	// Throttle logs the repeated failures of previews.
	Throttle Throttle
	// Shared, when set, is the site-wide lock and record of a store that
	// several replicas share (PostgreSQL); nil for a store of this
	// replica alone.
	Shared Shared
	// Now stamps the records and the site's last check-in.
	Now func() time.Time
	// Started is when the service started: the daily check-in fires every
	// Interval after it.
	Started time.Time
	// InstallWhitelist installs the whitelist a check-in answer carries.
	InstallWhitelist func(whitelist.List)
	// Done, when set, is told the Record of every check-in (for metrics).
	Done func(Record)
}

// Checker uploads what the service holds to the update server. Create it
// with New; see the package documentation for who may call what.
type Checker struct {
	cfg   Config
	store Store

	// mu serialises check-ins, so that two never upload (and then delete)
	// the same entries.
	mu sync.Mutex

	// previewSlots bounds the previews built at once.
	previewSlots chan struct{}

	recMu sync.Mutex // guards last
	last  *Record
}

// New is a Checker of st under cfg. Nothing runs until Run or CheckIn.
func New(cfg Config, st Store) *Checker {
	return &Checker{cfg: cfg, store: st, previewSlots: make(chan struct{}, 2)}
}

// Timeout bounds one upload to the update server.
const Timeout = time.Minute

// dailyTolerance is how much sooner than the interval a replica's daily
// check-in may follow the site's last one (the replicas' timers are not in
// step); anything sooner is left to the replica that checked in.
const dailyTolerance = 10 * time.Minute

// CheckIn uploads the stored events and the merged snapshots (newest value
// per field) to the update server, replaces the whitelist with the answer's
// "whitelist" key when present, and discards what was uploaded; entries
// stored meanwhile stay. On failure nothing is discarded. When the opt-out
// file exists or no product is configured, nothing is sent and every
// stored entry is discarded. Check-ins never overlap, not even across
// replicas that share a PostgreSQL store: only one of them checks in at a
// time, and the others skip (SkippedOtherReplica).
func (c *Checker) CheckIn(ctx context.Context) (res Result, err error) {
	return c.checkInOnce(ctx, false)
}

// Scheduled is the check-in the daily timer makes: CheckIn, except that it
// is skipped (SkippedSiteCheckedIn) when a replica sharing the store
// checked in less than an interval ago.
func (c *Checker) Scheduled(ctx context.Context) (Result, error) {
	return c.checkInOnce(ctx, true)
}

// checkInOnce is CheckIn; a daily check-in (scheduled) is skipped when a
// replica sharing the store checked in less than an interval ago.
func (c *Checker) checkInOnce(ctx context.Context, scheduled bool) (res Result, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() { c.note(c.cfg.Now(), res, err) }()
	sh := c.cfg.Shared
	if sh == nil {
		return c.checkIn(ctx)
	}
	ran, lockErr := sh.TryExclusive(ctx, func(ctx context.Context) error {
		if scheduled {
			last, ok, lerr := sh.LastCheckIn(ctx)
			if lerr != nil {
				res, err = Result{}, lerr
				return nil
			}
			if ok && c.cfg.Now().Sub(last) < c.cfg.Interval-dailyTolerance {
				c.cfg.Logger.Info("check-in skipped: "+SkippedSiteCheckedIn, "at", last)
				res = Result{Skipped: SkippedSiteCheckedIn}
				return nil
			}
		}
		if res, err = c.checkIn(ctx); err == nil && res.Skipped == "" {
			if nerr := sh.NoteCheckIn(ctx, c.cfg.Now()); nerr != nil {
				c.cfg.Logger.Warn("checked in, but recording the time for the other replicas failed", "err", nerr)
			}
		}
		return nil
	})
	switch {
	case lockErr != nil:
		return Result{}, lockErr
	case !ran:
		c.cfg.Logger.Info("check-in skipped: " + SkippedOtherReplica)
		return Result{Skipped: SkippedOtherReplica}, nil
	}
	return res, err
}

// checkIn is CheckIn once this replica may check in.
func (c *Checker) checkIn(ctx context.Context) (Result, error) {
	if reason := c.skipReason(); reason != "" {
		return Result{Skipped: reason}, c.discardAll(ctx)
	}
	if c.cfg.UpdateServerURL == "" {
		return Result{}, &Error{Reason: "not possible", Err: ErrNoUpstream}
	}
	resp, up, err := c.post(ctx)
	if err != nil {
		return Result{}, err
	}
	c.applyWhitelist(resp)
	if err := c.discard(ctx, up); err != nil {
		return Result{}, &Error{URL: c.cfg.UpdateServerURL, Reason: "uploaded, but discarding the entries failed", Err: err}
	}
	c.cfg.Logger.Info("checked in", "url", c.cfg.UpdateServerURL, "events", up.events, "snapshots", up.snapshots)
	return Result{Response: resp, Events: up.events, Snapshots: up.snapshots}, nil
}

// skipReason says why check-in is off, or "" when it is on.
func (c *Checker) skipReason() string {
	if mode, reason := c.Mode(); mode == ModeOptedOut || mode == ModeNoProduct {
		return reason
	}
	return ""
}

func (c *Checker) discardAll(ctx context.Context) error {
	return c.discard(ctx, uploaded{lastEvent: math.MaxUint64, lastSn: math.MaxUint64})
}

// discard deletes what an upload covered, which frees room in the store.
func (c *Checker) discard(ctx context.Context, up uploaded) error {
	if up.lastEvent > 0 {
		if err := c.store.DeleteThrough(ctx, Events, up.lastEvent); err != nil {
			return err
		}
	}
	if up.lastSn > 0 {
		return c.store.DeleteThrough(ctx, Snapshots, up.lastSn)
	}
	return nil
}

func (c *Checker) siteID() (string, error) {
	if c.cfg.CAFile == "" {
		return "", nil
	}
	pem, err := os.ReadFile(c.cfg.CAFile)
	if err != nil {
		return "", fmt.Errorf("site-id from CA certificate: %w", err)
	}
	return sha512Hex(pem), nil
}

func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// post streams the upload (writeUpload) to the update server and returns
// its JSON answer and what the upload covered. It succeeds only when the
// whole body was sent and the answer is a 2xx JSON object: only then may
// the entries be discarded.
func (c *Checker) post(ctx context.Context) (json.RawMessage, uploaded, error) {
	u := c.cfg.UpdateServerURL
	fail := func(reason string, err error) (json.RawMessage, uploaded, error) {
		return nil, uploaded{}, &Error{URL: u, Reason: reason, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	id, through, err := c.uploadRange(ctx)
	if err != nil {
		return fail("collecting the entries", err)
	}
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		return fail("bad URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set(UploadIDHeader, id)
	type written struct {
		up  uploaded
		err error
	}
	done := make(chan written, 1)
	go func() {
		up, err := c.writeUploadThrough(ctx, pw, through)
		pw.CloseWithError(err) // nil: the body ends
		done <- written{up, err}
	}()
	data, status, err := c.send(req)
	_ = pr.Close() // unblocks the writer if the answer came before the whole body was read
	body := <-done
	switch {
	case body.err != nil && !errors.Is(body.err, io.ErrClosedPipe):
		return fail("collecting the entries", body.err)
	case err != nil:
		return fail(status, err)
	case body.err != nil:
		return fail("answered before the whole upload was sent", body.err)
	}
	return data, body.up, nil
}

// send makes the check-in request and checks its answer; on failure the
// string says what went wrong.
func (c *Checker) send(req *http.Request) (json.RawMessage, string, error) {
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, "unreachable", err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, "reading the answer", err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, "answered " + resp.Status, errUpstreamStatus
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return nil, "answered " + resp.Status + " without a JSON object", errors.Join(errNotJSONObject, err)
	}
	return json.RawMessage(bytes.TrimSpace(data)), "", nil
}

// Reasons a check-in answer is refused.
var (
	errUpstreamStatus = errors.New("not a 2xx status")
	errNotJSONObject  = errors.New("not a JSON object")
)

// applyWhitelist installs the "whitelist" key of a check-in answer, if
// any. A bad whitelist is logged and the current one kept.
func (c *Checker) applyWhitelist(resp json.RawMessage) {
	var r struct {
		Whitelist json.RawMessage `json:"whitelist"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || len(r.Whitelist) == 0 || string(r.Whitelist) == "null" {
		return
	}
	wl, err := whitelist.Parse(c.cfg.UpdateServerURL+" check-in answer", r.Whitelist)
	if err != nil {
		c.cfg.Logger.Warn("keeping the current whitelist", "err", err)
		return
	}
	c.cfg.InstallWhitelist(wl)
	c.cfg.Logger.Info("whitelist replaced by check-in", "entries", len(wl))
}

// Run checks in every Config.Interval until ctx ends; with no interval
// (zero or negative) it returns at once. The caller runs it on a goroutine
// of its own and waits for it to return.
func (c *Checker) Run(ctx context.Context) {
	if c.cfg.Interval <= 0 {
		return
	}
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.daily(ctx)
		}
	}
}

func (c *Checker) daily(ctx context.Context) {
	res, err := c.checkInOnce(ctx, true)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		c.cfg.Logger.Warn("check-in failed; entries kept for the next one", "err", err)
	case res.Skipped == SkippedOtherReplica || res.Skipped == SkippedSiteCheckedIn:
		// logged by checkInOnce; nothing was discarded
	case res.Skipped != "":
		c.cfg.Logger.Info("check-in skipped; stored entries discarded", "reason", res.Skipped)
	}
}

// ErrNoUpstream is in the chain of a check-in's error when no update
// server is configured.
var ErrNoUpstream = errors.New("server: no update server configured")
