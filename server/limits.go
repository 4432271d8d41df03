package server

import (
	"cmp"
	"log/slog"
	"net/http"
	"slices"
	"strconv"

	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/wire"
)

// busyRetryAfter is the Retry-After, in seconds, of a request refused
// because the in-flight limit is reached: bodies in flight are read within
// Config.BodyTimeout, most far sooner.
const busyRetryAfter = 1

// refuseBusy answers a command refused because the in-flight limit is
// reached, or, with share set, because its client holds its share of it
// already (limits.Shares), and logs the refusals once a minute with their
// count, so that an operator sees the service shedding load.
func (s *Server) refuseBusy(w http.ResponseWriter, r *http.Request, share string) *apiError {
	w.Header().Set(wire.HeaderRetryAfter, strconv.Itoa(busyRetryAfter))
	retry := "; retry in " + strconv.Itoa(busyRetryAfter) + " s."
	if share != "" {
		s.throttle.Log(r.Context(), slog.LevelWarn, "inflight-share",
			"command refused: the client holds its share of analytics.max-inflight-bytes",
			"certname", authz.Identify(r).String(), "share", share)
		return &apiError{Status: http.StatusServiceUnavailable, Kind: wire.ErrorUnavailable,
			Msg: "This client has " + share + " of request bodies in flight already, its share of the service's" + retry}
	}
	s.throttle.Log(r.Context(), slog.LevelWarn, "inflight-limit",
		"command refused: request bodies in flight at analytics.max-inflight-bytes",
		"limit", s.cfg.MaxInflightBytes, "remote", r.RemoteAddr)
	return &apiError{Status: http.StatusServiceUnavailable, Kind: wire.ErrorUnavailable,
		Msg: "The service is reading " + formatBytes(s.cfg.MaxInflightBytes) + " of request bodies already" + retry}
}

// checkLimits refuses limits that are negative or that could never be met.
func (c Config) checkLimits() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxBodyBytes", c.MaxBodyBytes}, {"MaxInflightBytes", c.MaxInflightBytes},
		{"BodyTimeout", int64(c.BodyTimeout)}, {"MaxConnections", int64(c.MaxConnections)},
		{"MaxStreams", int64(c.MaxStreams)}, {"MaxHeaderBytes", int64(c.MaxHeaderBytes)},
		{"MaxFields", int64(c.MaxFields)},
	} {
		if f.v < 0 {
			return &ConfigError{Field: f.name, Reason: "is negative"}
		}
	}
	if c.MaxInflightBytes < c.MaxBodyBytes {
		return &ConfigError{Field: "MaxInflightBytes", Reason: "is " + formatBytes(c.MaxInflightBytes) +
			", less than MaxBodyBytes (" + formatBytes(c.MaxBodyBytes) + "): a body of the largest size could never be read"}
	}
	return nil
}

// fitConnections lowers c.MaxConnections (or its default) so that every
// listener at its bound stays within soft, the process's limit of open
// files (limits.FitConns), with a WARN when it was set.
func fitConnections(c Config, soft uint64, log *slog.Logger) int {
	listeners := len(slices.DeleteFunc([]string{c.HTTPAddr, c.HTTPSAddr, c.AdminAddr}, func(a string) bool { return a == "" }))
	want := cmp.Or(c.MaxConnections, DefaultMaxConnections)
	fit := limits.FitConns(want, listeners, soft)
	if fit != want && c.MaxConnections > 0 {
		cmp.Or(log, slog.Default()).Warn("webserver.max-connections lowered to what the limit of open files allows",
			"max-connections", c.MaxConnections, "lowered-to", fit, "open-files-limit", soft, "listeners", listeners)
	}
	if fit == want {
		return c.MaxConnections
	}
	return fit
}
