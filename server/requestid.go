package server

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"github.com/analytics-client/analytics/wire"
)

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
	w.Header()[wire.HeaderRequestID] = []string{newRequestID()}
	w.Header()["X-Content-Type-Options"] = []string{"nosniff"}
}

// requestID returns the id setAnswerHeaders gave the response ("" for none).
func requestID(w http.ResponseWriter) string {
	if v := w.Header()[wire.HeaderRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}
