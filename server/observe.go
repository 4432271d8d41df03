package server

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// maxLoggedPath is the longest request path the access log writes whole.
const maxLoggedPath = 256

// commands name the routes in the metrics' command label; any other path
// is "other", so that clients cannot grow the label set.
var commands = map[string]string{
	"": "entrypoint", "/": "entrypoint",
	"/commands/event": "event", "/commands/snapshot": "snapshot",
	"/commands/batch": "batch", "/commands/send": "send",
	"/collections/events": "collections/events", "/collections/snapshots": "collections/snapshots",
	"/status": "status", "/checkin/preview": "checkin/preview",
	"/view": "view", "/view/live": "view/live", "/metrics": "metrics",
}

// commandOf is the command label of a path below the prefix.
func commandOf(rest string) string {
	if c, ok := commands[rest]; ok {
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
		var id string
		if s.cfg.AccessLog {
			id = s.ops.ids.next()
			w.Header().Set("X-Request-Id", id)
		}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		rest, _ := trimPrefix(r.URL.Path, prefix)
		s.ops.metrics.observeRequest(commandOf(rest), rec.code(), d)
		if s.cfg.AccessLog {
			s.accessLog(r, id, rec, d)
		}
	})
}

// accessLog writes one request's line.
func (s *Server) accessLog(r *http.Request, id string, rec *recorder, d time.Duration) {
	path := r.URL.Path
	if len(path) > maxLoggedPath {
		path = path[:maxLoggedPath] + "..."
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("id", id), slog.String("certname", peerCertname(r)),
		slog.String("method", r.Method), slog.String("path", path),
		slog.Int("status", rec.code()), slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", d))
}

// peerCertname is the CN of the client's verified certificate, "-" for a
// client without one.
func peerCertname(r *http.Request) string {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "-"
	}
	return r.TLS.VerifiedChains[0][0].Subject.CommonName
}

// requestIDs numbers requests after a random per-process prefix, so that
// ids from restarts do not repeat.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func newRequestIDs() *requestIDs {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &requestIDs{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (ids *requestIDs) next() string {
	return ids.prefix + strconv.FormatUint(ids.n.Add(1), 10)
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
