package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// writeOutcome sends an answer, with its Retry-After header if it has one.
// The body of a refusal or a server error carries the request id, so that
// its log lines can be found; other 4xx bodies say all there is to say and
// stay byte-for-byte those of the JVM service (the id is in
// RequestIDHeader on every response).
func writeOutcome(w http.ResponseWriter, o outcome) {
	if o.err != nil && o.err.RequestID == "" && (o.status == http.StatusForbidden || o.status >= 500) {
		e := *o.err
		e.RequestID = requestID(w)
		o = e.outcome()
	}
	if o.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(o.retryAfter))
	}
	jsonbody.Write(w, o.status, o.body)
}

// writeJSON encodes v and sends it.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonbody.Marshal(v)
	if err != nil {
		s.log.Error("encoding an answer", "err", err)
		s.writeError(w, &apiError{Status: 500, Kind: KindApplicationError, Msg: msgUncaught})
		return
	}
	jsonbody.Write(w, status, body)
}

// msgUncaught is the JVM service's message for an internal error.
const msgUncaught = "An uncaught server error was thrown. Check the log for details."

// writeError sends e in the JSON error shape (see writeOutcome) and logs
// its cause, if any, with the request id: the client is told what kind of
// error it met, the log says why.
func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	if e.Cause != nil {
		level := slog.LevelError
		if e.Status < 500 {
			level = slog.LevelDebug // the client's doing (a body cut short): not worth a line each
		}
		s.log.Log(context.Background(), level, "request failed", "request-id", requestID(w), "status", e.Status, "kind", e.Kind, "err", e.Cause)
	}
	writeOutcome(w, e.outcome())
}

// notFound is the plain-text 404 for unknown paths and methods.
func notFound(w http.ResponseWriter) {
	http.Error(w, "Not Found", http.StatusNotFound)
}
