package analytics

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/analytics-client/analytics/internal/jsonerr"
)

// Stamped is a snapshot field's value with the time the service received it.
type Stamped struct {
	Value     any       `json:"value"`
	Timestamp time.Time `json:"timestamp"`
}

// SnapshotResult is the service's answer to a stored snapshot. Fields the
// service's whitelist refused are in Rejected with the reason (a 206
// answer); the accepted part was stored.
type SnapshotResult struct {
	Accepted map[string]Stamped `json:"accepted"`
	Rejected map[string]string  `json:"rejected"`
	// StatusCode is 200 when every field was accepted, 206 otherwise.
	StatusCode int `json:"-"`
	// Raw is the response body as received.
	Raw json.RawMessage `json:"-"`
}

// RejectedSummary lists the refused fields with their reasons, in field
// order: "other: Not an expected field; there.n: Expected a value of type
// number". It is empty when every field was stored.
func (r *SnapshotResult) RejectedSummary() string { return formatReasons(r.Rejected) }

// EventResult is the service's answer to a stored event, and one entry of
// the events collection.
type EventResult struct {
	Event     string    `json:"event"`
	Metadata  Fields    `json:"metadata,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	// Raw is the response body as received.
	Raw json.RawMessage `json:"-"`
}

func (r *SnapshotResult) setRaw(raw json.RawMessage) { r.Raw = raw }
func (r *EventResult) setRaw(raw json.RawMessage)    { r.Raw = raw }

// decodeJSON decodes data into v keeping numbers as json.Number, so 1337
// stays 1337 and large integers keep every digit.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errors.New("the answer is not the expected JSON: " + jsonerr.Describe(err))
	}
	return nil
}
