package opsview

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/server/authz"
)

// maxLoggedPath is the longest request path the access log writes whole.
const maxLoggedPath = 256

// Observe wraps a listener's handler: every request is counted in the
// metrics under the label command gives it (one of Config.Commands, or
// "other") and, with Config.AccessLog, written to the access log.
func (v *Views) Observe(next http.Handler, command func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		v.metrics.observeRequest(command(r), rec.code(), d)
		if v.cfg.AccessLog {
			v.accessLog(r, v.cfg.RequestID(w), rec, d)
		}
	})
}

// LoggedPath is the request path as log lines write it: cut at
// maxLoggedPath bytes, so that a client cannot write megabytes per line.
func LoggedPath(r *http.Request) string {
	if p := r.URL.Path; len(p) > maxLoggedPath {
		return p[:maxLoggedPath] + "..."
	}
	return r.URL.Path
}

// accessLog writes one request's line.
func (v *Views) accessLog(r *http.Request, id string, rec *recorder, d time.Duration) {
	v.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("id", id), slog.String("certname", certnameOrDash(authz.Identify(r))),
		slog.String("method", r.Method), slog.String("path", LoggedPath(r)),
		slog.Int("status", rec.code()), slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", d))
}

// certnameOrDash is the client's certname, "-" for an unauthenticated one.
func certnameOrDash(id authz.Identity) string {
	if !id.Authenticated {
		return "-"
	}
	return id.Certname
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

// Unwrap gives http.ResponseController the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// code is the status sent; a handler that wrote nothing sent 200.
func (r *recorder) code() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
