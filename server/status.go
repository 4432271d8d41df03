package server

import (
	"context"
	"net/http"
	"path/filepath"
	"time"

	"github.com/analytics-client/analytics/internal/store"
)

// Check-in modes: whether the stored data leaves the site.
const (
	// ModeOn: check-ins upload to the update server.
	ModeOn = "on"
	// ModeOptedOut: the opt-out file exists; nothing is sent and stored
	// entries are discarded at each check-in.
	ModeOptedOut = "opted-out"
	// ModeNoProduct: no product name is configured; nothing is sent and
	// stored entries are discarded at each check-in.
	ModeNoProduct = "no-product"
	// ModeNoUpstream: no update server is configured; nothing is sent and
	// the entries are kept.
	ModeNoUpstream = "no-upstream"
)

// Status is the service's state as operators see it, the document of
// GET {prefix}/status.
type Status struct {
	Version   string          `json:"version"`
	Started   time.Time       `json:"started"`
	CheckIn   CheckInStatus   `json:"checkin"`
	Whitelist WhitelistStatus `json:"whitelist"`
	Store     StoreStatus     `json:"store"`
	// CertificateExpires is when the TLS listener's certificate expires,
	// nil when there is no TLS listener.
	CertificateExpires *time.Time `json:"certificate-expires"`
	// CRLs are the TLS listener's revocation lists, with whether each is
	// stale; none without them.
	CRLs []CRLStatus `json:"crls,omitempty"`
}

// CheckInStatus says whether and when data leaves the site.
type CheckInStatus struct {
	Mode string `json:"mode"`
	// Reason says, in words, why nothing is sent (empty in mode on).
	Reason string `json:"reason,omitempty"`
	// OptOutFile is the file whose presence turns check-in off.
	OptOutFile string `json:"opt-out-file"`
	// Upstream is the update server's URL, empty when there is none.
	Upstream string `json:"upstream"`
	// Last is the last check-in since the start, nil before the first.
	Last *CheckInRecord `json:"last"`
	// Next is when the periodic check-in runs next, nil when none is
	// scheduled.
	Next *time.Time `json:"next"`
}

// CheckInRecord is the outcome of one check-in.
type CheckInRecord struct {
	Time time.Time `json:"time"`
	// Result is CheckInSuccess, CheckInFailure or CheckInSkipped.
	Result string `json:"result"`
	// Events and Snapshots count what was uploaded.
	Events    int `json:"events"`
	Snapshots int `json:"snapshots"`
	// Error says why a failed check-in failed.
	Error string `json:"error,omitempty"`
	// Skipped says why a skipped check-in sent nothing.
	Skipped string `json:"skipped,omitempty"`
}

// WhitelistStatus describes the whitelist in force.
type WhitelistStatus struct {
	// Source is WhitelistFromUpstream, WhitelistFromFile,
	// WhitelistFromConfig or WhitelistNone.
	Source string `json:"source"`
	// Fetched is when it was installed, nil when there is none.
	Fetched *time.Time `json:"fetched"`
	// Events and Fields count its event names and snapshot fields.
	Events int `json:"events"`
	Fields int `json:"fields"`
}

// StoreStatus counts what is stored and waiting for the next check-in.
type StoreStatus struct {
	Events    int `json:"events"`
	Snapshots int `json:"snapshots"`
	// Bytes is the room the entries take, as Limit counts it.
	Bytes int64 `json:"bytes"`
	// Limit is Config.MaxStoreBytes: past it commands get 507 until a
	// check-in frees room.
	Limit int64 `json:"limit"`
}

// Status reports the service's state: its check-in mode and schedule, the
// last check-in, the whitelist and the store's counts.
func (s *Server) Status(ctx context.Context) (Status, error) {
	st, err := s.storeStatus(ctx)
	if err != nil {
		return Status{}, err
	}
	mode, reason := s.checkInMode()
	ci := CheckInStatus{Mode: mode, Reason: reason, OptOutFile: s.optOutFile(),
		Upstream: s.cfg.UpdateServerURL, Last: s.ops.lastCheckIn()}
	if next := s.ops.nextCheckIn(s.cfg.CheckIn.Interval, time.Now()); !next.IsZero() {
		ci.Next = &next
	}
	out := Status{Version: s.cfg.Version, Started: s.ops.started, CheckIn: ci,
		Whitelist: s.whitelistStatus(), Store: st}
	if exp := s.CertificateExpiry(); !exp.IsZero() {
		out.CertificateExpires = &exp
	}
	out.CRLs = s.crlStatus(time.Now()) // the handshakes' clock, not the stamps'
	return out, nil
}

// checkInMode says whether a check-in now would send anything, and if not
// why, in words.
func (s *Server) checkInMode() (mode, reason string) {
	if optOut := s.optedOut(); optOut != "" {
		return ModeOptedOut, "opted out: " + optOut + " exists"
	}
	if s.cfg.CheckIn.Product == "" {
		return ModeNoProduct, "no product name configured"
	}
	if s.cfg.UpdateServerURL == "" {
		return ModeNoUpstream, "no update server configured"
	}
	return ModeOn, ""
}

func (s *Server) optOutFile() string {
	return filepath.Join(s.cfg.CheckIn.ConfDir, OptOutFile)
}

func (s *Server) whitelistStatus() WhitelistStatus {
	src, at := s.ops.whitelistSource()
	ws := WhitelistStatus{Source: src}
	if src != WhitelistNone {
		ws.Fetched = &at
	}
	for _, e := range s.currentWhitelist() {
		if e.Datatype == DatatypeEvent {
			ws.Events++
		} else {
			ws.Fields++
		}
	}
	return ws
}

// counter is implemented by stores that count their entries and know
// the room they take (both store backends).
type counter interface {
	Count(ctx context.Context, kind store.Kind) (int, error)
	UsedBytes(ctx context.Context) (int64, error)
}

func (s *Server) storeStatus(ctx context.Context) (StoreStatus, error) {
	c, ok := s.store.(counter)
	if !ok {
		return StoreStatus{Limit: s.cfg.MaxStoreBytes}, nil
	}
	st := StoreStatus{Limit: s.cfg.MaxStoreBytes}
	var err error
	if st.Events, err = c.Count(ctx, store.Events); err != nil {
		return st, err
	}
	if st.Snapshots, err = c.Count(ctx, store.Snapshots); err != nil {
		return st, err
	}
	if st.Bytes, err = c.UsedBytes(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// serveStatus answers GET {prefix}/status.
func (s *Server) serveStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.Status(r.Context())
	if err != nil {
		s.log.Error("reading the store for the status", "err", err)
		s.writeError(w, storeReadError())
		return
	}
	s.writeJSON(w, http.StatusOK, st)
}

// storeReadError answers an operator request whose data could not be read
// from the store.
func storeReadError() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindStorageError,
		RetryAfter: int(StorageErrorRetryAfter / time.Second),
		Msg:        "The store could not be read; it is safe to retry. Check the log for details."}
}
