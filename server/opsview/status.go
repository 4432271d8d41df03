package opsview

import (
	"context"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/whitelist"
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
	Last *checkin.Record `json:"last"`
	// Next is when the periodic check-in runs next, nil when none is
	// scheduled.
	Next *time.Time `json:"next"`
}

// WhitelistStatus describes the whitelist in force.
type WhitelistStatus struct {
	// Source is whitelist.FromUpstream, FromFile, FromConfig or None.
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
	// Limit is the service's MaxStoreBytes: past it commands get 507
	// until a check-in frees room.
	Limit int64 `json:"limit"`
	// Quarantined counts the entries that failed their checksum and were
	// set aside: never served, uploaded or deleted.
	Quarantined int64 `json:"quarantined"`
}

// Status reports the service's state: its check-in mode and schedule, the
// last check-in, the whitelist and the store's counts.
func (v *Views) Status(ctx context.Context) (Status, error) {
	st, err := v.storeStatus(ctx)
	if err != nil {
		return Status{}, err
	}
	c := v.cfg.Checker
	mode, reason := c.Mode()
	ci := CheckInStatus{Mode: mode, Reason: reason, OptOutFile: c.OptOutFile(),
		Upstream: c.Upstream(), Last: c.Last()}
	if next := c.Next(time.Now()); !next.IsZero() {
		ci.Next = &next
	}
	out := Status{Version: v.cfg.Version, Started: v.cfg.Started, CheckIn: ci,
		Whitelist: v.whitelistStatus(), Store: st}
	if exp := v.cfg.CertificateExpiry(); !exp.IsZero() {
		out.CertificateExpires = &exp
	}
	return out, nil
}

func (v *Views) whitelistStatus() WhitelistStatus {
	src, at := v.cfg.Whitelist.Source()
	ws := WhitelistStatus{Source: src}
	if src != whitelist.None {
		ws.Fetched = &at
	}
	for _, e := range v.cfg.Whitelist.Current() {
		if e.Datatype == whitelist.DatatypeEvent {
			ws.Events++
		} else {
			ws.Fields++
		}
	}
	return ws
}

func (v *Views) storeStatus(ctx context.Context) (StoreStatus, error) {
	st := StoreStatus{Limit: v.cfg.MaxStoreBytes}
	if v.cfg.Counter == nil {
		return st, nil
	}
	var err error
	if st.Events, err = v.cfg.Counter.Count(ctx, Events); err != nil {
		return st, err
	}
	if st.Snapshots, err = v.cfg.Counter.Count(ctx, Snapshots); err != nil {
		return st, err
	}
	if st.Bytes, err = v.cfg.Counter.UsedBytes(ctx); err != nil {
		return st, err
	}
	st.Quarantined, err = v.cfg.Counter.Quarantined(ctx)
	return st, err
}

// ServeStatus answers GET {prefix}/status.
func (v *Views) ServeStatus(w http.ResponseWriter, r *http.Request) {
	st, err := v.Status(r.Context())
	if err != nil {
		v.cfg.Logger.Error("reading the store for the status", "err", err)
		v.cfg.Errors.StoreUnreadable(w)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
