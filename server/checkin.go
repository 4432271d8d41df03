package server

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/analytics-client/analytics/internal/store"
)

// OptOutFile is the file in CheckInConfig.ConfDir whose presence turns
// check-in off (and empties the queue instead).
const OptOutFile = "analytics-opt-out"

// checkInGroup is the check-in's "group". The JVM service passes only the
// artifact id on and always sends this value, whatever
// product.name.group-id says; the upstream expects it.
const checkInGroup = "puppetlabs.packages"

// CheckInResult says what a check-in did.
type CheckInResult struct {
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

// CheckInError reports a failed check-in: nothing was discarded, the
// entries stay for the next try.
type CheckInError struct {
	URL    string
	Reason string
	Err    error
}

func (e *CheckInError) Error() string {
	s := "server: check-in"
	if e.URL != "" {
		s += " to " + e.URL
	}
	return s + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *CheckInError) Unwrap() error { return e.Err }

// SkippedOtherReplica is CheckInResult.Skipped when another replica that
// shares the PostgreSQL store holds the site's check-in lock: it uploads
// (and then discards) the entries, so this one leaves them alone.
const SkippedOtherReplica = "another replica is checking in"

// SkippedSiteCheckedIn is CheckInResult.Skipped of a daily check-in when a
// replica sharing the PostgreSQL store checked in for the site less than
// CheckInConfig.Interval ago: the replicas check in once a day between
// them, and the entries wait for the next one.
const SkippedSiteCheckedIn = "another replica checked in for the site within the interval"

// sharedStore is implemented by stores shared by several replicas: fn runs
// only while this replica holds the site-wide check-in lock (ran is false
// when another replica holds it), and the site's last check-in is kept in
// the store so that the replicas' daily check-ins make one a day between
// them.
type sharedStore interface {
	TryExclusive(ctx context.Context, fn func(context.Context) error) (ran bool, err error)
	LastCheckIn(ctx context.Context) (at time.Time, ok bool, err error)
	NoteCheckIn(ctx context.Context, at time.Time) error
}

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
func (s *Server) CheckIn(ctx context.Context) (res CheckInResult, err error) {
	return s.checkInOnce(ctx, false)
}

// checkInOnce is CheckIn; a daily check-in (scheduled) is skipped when a
// replica sharing the store checked in less than an interval ago.
func (s *Server) checkInOnce(ctx context.Context, scheduled bool) (res CheckInResult, err error) {
	s.checkInMu.Lock()
	defer s.checkInMu.Unlock()
	defer func() { s.ops.noteCheckIn(s.cfg.Now(), res, err) }()
	sh, shared := s.store.(sharedStore)
	if !shared {
		return s.checkIn(ctx)
	}
	ran, lockErr := sh.TryExclusive(ctx, func(ctx context.Context) error {
		if scheduled {
			last, ok, lerr := sh.LastCheckIn(ctx)
			if lerr != nil {
				res, err = CheckInResult{}, lerr
				return nil
			}
			if ok && s.cfg.Now().Sub(last) < s.cfg.CheckIn.Interval-dailyTolerance {
				s.log.Info("check-in skipped: "+SkippedSiteCheckedIn, "at", last)
				res = CheckInResult{Skipped: SkippedSiteCheckedIn}
				return nil
			}
		}
		if res, err = s.checkIn(ctx); err == nil && res.Skipped == "" {
			if nerr := sh.NoteCheckIn(ctx, s.cfg.Now()); nerr != nil {
				s.log.Warn("checked in, but recording the time for the other replicas failed", "err", nerr)
			}
		}
		return nil
	})
	switch {
	case lockErr != nil:
		return CheckInResult{}, lockErr
	case !ran:
		s.log.Info("check-in skipped: " + SkippedOtherReplica)
		return CheckInResult{Skipped: SkippedOtherReplica}, nil
	}
	return res, err
}

// checkIn is CheckIn once this replica may check in.
func (s *Server) checkIn(ctx context.Context) (CheckInResult, error) {
	if reason := s.skipReason(); reason != "" {
		return CheckInResult{Skipped: reason}, s.discardAll(ctx)
	}
	if s.cfg.UpdateServerURL == "" {
		return CheckInResult{}, &CheckInError{Reason: "not possible", Err: ErrNoUpstream}
	}
	resp, up, err := s.post(ctx)
	if err != nil {
		return CheckInResult{}, err
	}
	s.applyWhitelist(resp)
	if err := s.discard(ctx, up); err != nil {
		return CheckInResult{}, &CheckInError{URL: s.cfg.UpdateServerURL, Reason: "uploaded, but discarding the entries failed", Err: err}
	}
	s.log.Info("checked in", "url", s.cfg.UpdateServerURL, "events", up.events, "snapshots", up.snapshots)
	return CheckInResult{Response: resp, Events: up.events, Snapshots: up.snapshots}, nil
}

// skipReason says why check-in is off, or "" when it is on.
func (s *Server) skipReason() string {
	if mode, reason := s.checkInMode(); mode == ModeOptedOut || mode == ModeNoProduct {
		return reason
	}
	return ""
}

// optedOut returns the path of the opt-out file when it exists, else "".
func (s *Server) optedOut() string {
	optOut := s.optOutFile()
	if _, err := os.Stat(optOut); err == nil {
		return optOut
	}
	return ""
}

func (s *Server) discardAll(ctx context.Context) error {
	return s.discard(ctx, uploaded{lastEvent: math.MaxUint64, lastSn: math.MaxUint64})
}

// discard deletes what an upload covered, which frees room in the store.
func (s *Server) discard(ctx context.Context, up uploaded) error {
	defer s.storeShares.reset() // each client's share is free again
	if up.lastEvent > 0 {
		if err := s.store.DeleteThrough(ctx, store.Events, up.lastEvent); err != nil {
			return err
		}
	}
	if up.lastSn > 0 {
		return s.store.DeleteThrough(ctx, store.Snapshots, up.lastSn)
	}
	return nil
}

func (s *Server) siteID() (string, error) {
	if s.cfg.CheckIn.CAFile == "" {
		return "", nil
	}
	pem, err := os.ReadFile(s.cfg.CheckIn.CAFile)
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
func (s *Server) post(ctx context.Context) (json.RawMessage, uploaded, error) {
	u := s.cfg.UpdateServerURL
	fail := func(reason string, err error) (json.RawMessage, uploaded, error) {
		return nil, uploaded{}, &CheckInError{URL: u, Reason: reason, Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, CheckInTimeout)
	defer cancel()
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, pr)
	if err != nil {
		return fail("bad URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	type written struct {
		up  uploaded
		err error
	}
	done := make(chan written, 1)
	go func() {
		up, err := s.writeUpload(ctx, pw)
		pw.CloseWithError(err) // nil: the body ends
		done <- written{up, err}
	}()
	data, status, err := s.send(req)
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
func (s *Server) send(req *http.Request) (json.RawMessage, string, error) {
	resp, err := s.cfg.HTTPClient.Do(req)
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
func (s *Server) applyWhitelist(resp json.RawMessage) {
	var r struct {
		Whitelist json.RawMessage `json:"whitelist"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || len(r.Whitelist) == 0 || string(r.Whitelist) == "null" {
		return
	}
	wl, err := ParseWhitelist(s.cfg.UpdateServerURL+" check-in answer", r.Whitelist)
	if err != nil {
		s.log.Warn("keeping the current whitelist", "err", err)
		return
	}
	s.installWhitelist(wl, WhitelistFromUpstream)
	s.log.Info("whitelist replaced by check-in", "entries", len(wl))
}

// startCheckInLoop checks in every CheckIn.Interval until Close.
func (s *Server) startCheckInLoop() {
	if s.cfg.CheckIn.Interval <= 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.CheckIn.Interval)
		defer t.Stop()
		for {
			select {
			case <-s.lifetime.Done():
				return
			case <-t.C:
				s.dailyCheckIn()
			}
		}
	}()
}

func (s *Server) dailyCheckIn() {
	res, err := s.checkInOnce(s.lifetime, true)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		s.log.Warn("check-in failed; entries kept for the next one", "err", err)
	case res.Skipped == SkippedOtherReplica || res.Skipped == SkippedSiteCheckedIn:
		// logged by checkInOnce; nothing was discarded
	case res.Skipped != "":
		s.log.Info("check-in skipped; stored entries discarded", "reason", res.Skipped)
	}
}
