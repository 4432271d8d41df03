package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/analytics-client/analytics/server/authz"
)

// maxLoggedPath is the longest request path the access log writes whole.
const maxLoggedPath = 256

// commandLabels name the endpoints in the metrics' command label: the
// entrypoint, the commands by their name, the rest by their path. Any
// other path is "other", so that clients cannot grow the label set.
var commandLabels = func() map[string]string {
	m := make(map[string]string, len(endpoints))
	for _, e := range endpoints {
		switch {
		case e.path == "" || e.path == "/":
			m[e.path] = "entrypoint"
		case strings.HasPrefix(e.path, "/commands/"):
			m[e.path] = strings.TrimPrefix(e.path, "/commands/")
		default:
			m[e.path] = strings.TrimPrefix(e.path, "/")
		}
	}
	return m
}()

// commandOf is the command label of a path below the prefix.
func commandOf(rest string) string {
	if c, ok := commandLabels[rest]; ok {
		return c
	}
	return "other"
}

// observe wraps a listener's handler: every request is counted in the
// metrics and, with Config.AccessLog, written to the access log. prefix is
// stripped from the path to name the command.
func (s *Server) observe(next http.Handler, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		rest, _ := trimPrefix(r.URL.Path, prefix)
		s.ops.metrics.observeRequest(commandOf(rest), rec.code(), d)
		if s.cfg.AccessLog {
			s.accessLog(r, requestID(w), rec, d)
		}
	})
}

// loggedPath is the request path as log lines write it: cut at
// maxLoggedPath bytes, so that a client cannot write megabytes per line.
func loggedPath(r *http.Request) string {
	if p := r.URL.Path; len(p) > maxLoggedPath {
		return p[:maxLoggedPath] + "..."
	}
	return r.URL.Path
}

// accessLog writes one request's line.
func (s *Server) accessLog(r *http.Request, id string, rec *recorder, d time.Duration) {
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("id", id), slog.String("certname", certnameOrDash(authz.Identify(r))),
		slog.String("method", r.Method), slog.String("path", loggedPath(r)),
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
