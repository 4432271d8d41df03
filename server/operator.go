package server

import (
	"context"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/storeview"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
	"github.com/prometheus/client_golang/prometheus"
)

// checkInConfig is what the check-in needs of the service's Config.
func (s *Server) checkInConfig(started time.Time) checkin.Config {
	ci := s.cfg.CheckIn
	cfg := checkin.Config{Product: ci.Product, Version: ci.Version, Certname: ci.Certname, CAFile: ci.CAFile,
		ConfDir: ci.ConfDir, Interval: ci.Interval, UpdateServerURL: s.cfg.UpdateServerURL,
		HTTPClient: s.cfg.HTTPClient, Logger: s.log, Throttle: s.throttle, Now: s.cfg.Now, Started: started,
		InstallWhitelist: func(wl whitelist.List) { s.installWhitelist(wl, whitelist.FromUpstream) },
		Done:             func(rec checkin.Record) { s.views.NoteCheckIn(rec) }}
	if sh, ok := s.store.(checkin.Shared); ok {
		cfg.Shared = sh
	}
	return cfg
}

// viewsConfig is what the operator views read of the service.
func (s *Server) viewsConfig(started time.Time) opsview.Config {
	cfg := opsview.Config{Version: s.cfg.Version, Started: started, Checker: s.checker,
		Whitelist: &s.whitelist, MaxStoreBytes: s.cfg.MaxStoreBytes,
		CertificateExpiry: s.CertificateExpiry, Commands: commands(), AccessLog: s.cfg.AccessLog,
		RequestID: requestID, Logger: s.log, Throttle: s.throttle, Errors: viewErrors{s}}
	if sv := storeview.New(s.store); sv.Counts() {
		cfg.Counter = sv
	}
	return cfg
}

// viewErrors writes the operator views' errors in the JSON error shape.
type viewErrors struct{ s *Server }

func (e viewErrors) StoreUnreadable(w http.ResponseWriter) { e.s.writeError(w, storeReadError()) }

func (e viewErrors) BadParameter(w http.ResponseWriter, msg string) {
	e.s.writeError(w, &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData, Msg: msg})
}

// CheckIn uploads the stored events and the merged snapshots (newest value
// per field) to the update server, replaces the whitelist with the answer's
// "whitelist" key when present, and discards what was uploaded; entries
// stored meanwhile stay. On failure nothing is discarded. When the opt-out
// file exists or no product is configured, nothing is sent and every
// stored entry is discarded. Check-ins never overlap, not even across
// replicas that share a PostgreSQL store: only one of them checks in at a
// time, and the others skip (checkin.SkippedOtherReplica).
func (s *Server) CheckIn(ctx context.Context) (checkin.Result, error) { return s.checker.CheckIn(ctx) }

// Preview builds the body the next check-in would upload now, with the
// code that builds the real upload, without sending or discarding
// anything. In a mode other than on, Upload is null and Reason says why.
// The upload is held in memory whole; GET {prefix}/checkin/preview streams
// it instead.
func (s *Server) Preview(ctx context.Context) (checkin.Preview, error) { return s.checker.Preview(ctx) }

// Status reports the service's state: its check-in mode and schedule, the
// last check-in, the whitelist and the store's counts.
func (s *Server) Status(ctx context.Context) (opsview.Status, error) { return s.views.Status(ctx) }

// Metrics returns the registry of the service's metrics (request, store,
// check-in and whitelist metrics plus the Go and process collectors), for
// a host program that serves them itself. The service serves them at
// {prefix}/metrics and on the admin listener.
func (s *Server) Metrics() *prometheus.Registry { return s.views.Registry() }
