// Package jsonbody encodes and sends the service's JSON answers, the one
// way the core and its subsystems (check-in, operator views) write JSON:
// compact, without HTML escaping, with a Content-Length.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// ContentType is the Content-Type of every JSON answer.
const ContentType = "application/json; charset=utf-8"

// Marshal encodes v as compact JSON without HTML escaping, so that strings
// come back as they were sent ("<" stays "<").
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Write sends a JSON body that is already encoded.
func Write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
