package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
)

// contentTypeJSON is the Content-Type of every JSON answer.
const contentTypeJSON = "application/json; charset=utf-8"

// marshal encodes v as compact JSON without HTML escaping, so that strings
// come back as they were sent ("<" stays "<").
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeBody sends a JSON body that is already encoded.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

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
	writeBody(w, o.status, o.body)
}

// writeJSON encodes v and sends it.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		s.log.Error("encoding an answer", "err", err)
		s.writeError(w, &apiError{Status: 500, Kind: KindApplicationError, Msg: msgUncaught})
		return
	}
	writeBody(w, status, body)
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
