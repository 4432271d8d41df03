package opsview

import (
	"context"
	"crypto/x509"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/server/whitelist"
	"github.com/analytics-client/analytics/wire"
)

// Status reports the service's state: its check-in mode and schedule, the
// last check-in, the whitelist and the store's counts.
func (v *Views) Status(ctx context.Context) (wire.Status, error) {
	st, err := v.storeStatus(ctx)
	if err != nil {
		return wire.Status{}, err
	}
	c := v.cfg.Checker
	mode, reason := c.Mode()
	ci := wire.CheckInStatus{Mode: mode, Reason: reason, OptOutFile: c.OptOutFile(),
		Upstream: c.Upstream(), Last: c.Last()}
	if next := c.Next(time.Now()); !next.IsZero() {
		ci.Next = &next
	}
	out := wire.Status{Version: v.cfg.Version, Started: v.cfg.Started, CheckIn: ci,
		Whitelist: v.whitelistStatus(), Store: st}
	if exp := v.cfg.CertificateExpiry(); !exp.IsZero() {
		out.CertificateExpires = &exp
	}
	if v.cfg.CRLs != nil {
		out.CRLs = crlStatus(v.cfg.CRLs(), time.Now()) // the handshakes' clock, not the stamps'
	}
	return out, nil
}

// crlStatus describes crls at now.
func crlStatus(crls []*x509.RevocationList, now time.Time) []wire.CRLStatus {
	var out []wire.CRLStatus
	for _, c := range crls {
		st := wire.CRLStatus{Issuer: c.Issuer.String(), NextUpdate: c.NextUpdate,
			Stale: !c.NextUpdate.IsZero() && now.After(c.NextUpdate)}
		if c.Number != nil {
			st.Number = c.Number.String()
		}
		out = append(out, st)
	}
	return out
}

func (v *Views) whitelistStatus() wire.WhitelistStatus {
	src, at := v.cfg.Whitelist.Source()
	ws := wire.WhitelistStatus{Source: src}
	if src != wire.WhitelistNone {
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

func (v *Views) storeStatus(ctx context.Context) (wire.StoreStatus, error) {
	st := wire.StoreStatus{Limit: v.cfg.MaxStoreBytes}
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
