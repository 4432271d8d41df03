package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// RequestIDHeader is the response header that carries the id of every
// request. The access log names it; error bodies of refusals and server
// errors carry it too ("request-id"), and the log line with the detail of
// an error names the same id, so an operator can find what a client was
// told.
const RequestIDHeader = "X-Request-Id"

// newRequestID returns a random 16-hex-digit id.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// setAnswerHeaders gives every answer a new request id and
// X-Content-Type-Options: nosniff, so that no browser reads a JSON or
// plain-text answer holding a client's strings as a page or a script.
func setAnswerHeaders(w http.ResponseWriter) {
	w.Header()[RequestIDHeader] = []string{newRequestID()}
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
}

// requestID returns the id setAnswerHeaders gave the response ("" for none).
func requestID(w http.ResponseWriter) string {
	if v := w.Header()[RequestIDHeader]; len(v) > 0 {
		return v[0]
	}
	return ""
}
