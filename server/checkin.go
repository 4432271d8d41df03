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
	// Skipped is the reason the check-in was skipped (opt-out file, no
	// product name); the stored entries were discarded. Empty otherwise.
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

// checkInPayload is the upload, in PROTOCOL.md's key order.
type checkInPayload struct {
	Product   string      `json:"product"`
	Group     string      `json:"group"`
	Version   string      `json:"version"`
	HostID    string      `json:"host-id"`
	SiteID    string      `json:"site-id"`
	Analytics selfService `json:"self-service-analytics"`
}

type selfService struct {
	Events    []json.RawMessage          `json:"events"`
	Snapshots map[string]json.RawMessage `json:"snapshots"`
}

// upload is what one check-in sends, with the last sequence number of each
// collection it covers.
type upload struct {
	payload           checkInPayload
	lastEvent, lastSn uint64
	snapshots         int
}

// CheckIn uploads the stored events and the merged snapshots (newest value
// per field) to the update server, replaces the whitelist with the answer's
// "whitelist" key when present, and discards what was uploaded; entries
// stored meanwhile stay. On failure nothing is discarded. When the opt-out
// file exists or no product is configured, nothing is sent and every
// stored entry is discarded. Check-ins never overlap.
func (s *Server) CheckIn(ctx context.Context) (res CheckInResult, err error) {
	s.checkInMu.Lock()
	defer s.checkInMu.Unlock()
	defer func() { s.ops.noteCheckIn(s.cfg.Now(), res, err) }()
	if reason := s.skipReason(); reason != "" {
		return CheckInResult{Skipped: reason}, s.discardAll(ctx)
	}
	if s.cfg.UpdateServerURL == "" {
		return CheckInResult{}, &CheckInError{Reason: "not possible", Err: ErrNoUpstream}
	}
	up, err := s.collect(ctx)
	if err != nil {
		return CheckInResult{}, &CheckInError{URL: s.cfg.UpdateServerURL, Reason: "collecting the entries", Err: err}
	}
	resp, err := s.post(ctx, up.payload)
	if err != nil {
		return CheckInResult{}, err
	}
	s.applyWhitelist(resp)
	if err := s.discard(ctx, up); err != nil {
		return CheckInResult{}, &CheckInError{URL: s.cfg.UpdateServerURL, Reason: "uploaded, but discarding the entries failed", Err: err}
	}
	s.log.Info("checked in", "url", s.cfg.UpdateServerURL, "events", len(up.payload.Analytics.Events), "snapshots", up.snapshots)
	return CheckInResult{Response: resp, Events: len(up.payload.Analytics.Events), Snapshots: up.snapshots}, nil
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
	return s.discard(ctx, upload{lastEvent: math.MaxUint64, lastSn: math.MaxUint64})
}

func (s *Server) discard(ctx context.Context, up upload) error {
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

// collect reads both collections into an upload.
func (s *Server) collect(ctx context.Context) (upload, error) {
	siteID, err := s.siteID()
	if err != nil {
		return upload{}, err
	}
	ci := s.cfg.CheckIn
	up := upload{payload: checkInPayload{
		Product: ci.Product, Group: checkInGroup, Version: ci.Version,
		HostID: sha512Hex([]byte(ci.Certname)), SiteID: siteID,
		Analytics: selfService{Events: []json.RawMessage{}, Snapshots: map[string]json.RawMessage{}},
	}}
	err = s.store.Scan(ctx, store.Events, 0, func(e store.Entry) error {
		up.payload.Analytics.Events = append(up.payload.Analytics.Events, e.Data)
		up.lastEvent = e.Seq
		return nil
	})
	if err != nil {
		return upload{}, err
	}
	err = s.store.Scan(ctx, store.Snapshots, 0, func(e store.Entry) error {
		up.lastSn, up.snapshots = e.Seq, up.snapshots+1
		return mergeSnapshot(up.payload.Analytics.Snapshots, e)
	})
	return up, err
}

// mergeSnapshot overlays one stored snapshot on the merged fields: entries
// come in arrival order, so the newest value of each field wins.
func mergeSnapshot(into map[string]json.RawMessage, e store.Entry) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(e.Data, &fields); err != nil {
		return fmt.Errorf("stored snapshot %d: %w", e.Seq, err)
	}
	for k, v := range fields {
		into[k] = v
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

// post sends the upload and returns the update server's JSON answer.
func (s *Server) post(ctx context.Context, p checkInPayload) (json.RawMessage, error) {
	u := s.cfg.UpdateServerURL
	fail := func(reason string, err error) (json.RawMessage, error) {
		return nil, &CheckInError{URL: u, Reason: reason, Err: err}
	}
	body, err := marshal(p)
	if err != nil {
		return fail("encoding the upload", err)
	}
	ctx, cancel := context.WithTimeout(ctx, CheckInTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fail("bad URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fail("unreachable", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fail("reading the answer", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fail("answered "+resp.Status, nil)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil || obj == nil {
		return fail("answered "+resp.Status+" without a JSON object", err)
	}
	return json.RawMessage(bytes.TrimSpace(data)), nil
}

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
	res, err := s.CheckIn(s.lifetime)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		s.log.Warn("check-in failed; entries kept for the next one", "err", err)
	case res.Skipped != "":
		s.log.Info("check-in skipped; stored entries discarded", "reason", res.Skipped)
	}
}
