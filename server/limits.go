package server

import (
	"log/slog"
	"net/http"
	"strconv"
)

// KindUnavailable is the error kind of a 503 sent because the service is
// at a limit (request bodies in flight); the request may be retried after
// the Retry-After header's seconds.
const KindUnavailable = "service-unavailable"

// busyRetryAfter is the Retry-After, in seconds, of a request refused
// because the in-flight limit is reached: bodies in flight are read within
// Config.BodyTimeout, most far sooner.
const busyRetryAfter = 1

// refuseBusy answers a command refused because the in-flight limit is
// reached, and logs the refusals once a minute with their count, so that
// an operator sees the service shedding load.
func (s *Server) refuseBusy(w http.ResponseWriter, r *http.Request) *apiError {
	s.throttle.Log(r.Context(), slog.LevelWarn, "inflight-limit",
		"command refused: request bodies in flight at analytics.max-inflight-bytes",
		"limit", s.cfg.MaxInflightBytes, "remote", r.RemoteAddr)
	w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindUnavailable,
		Msg: "The service is reading " + formatBytes(s.cfg.MaxInflightBytes) + " of request bodies already; retry in " +
			strconv.Itoa(busyRetryAfter) + " s."}
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
