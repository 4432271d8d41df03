package analytics

import (
	"encoding/json"
	"errors"

	"github.com/analytics-client/analytics/internal/value"
)

// Fields maps namespaced keys ("puppetserver.jruby.instances") to values.
//
// A value is one of:
//   - a scalar: string, bool, any integer or floating-point kind, or json.Number;
//   - a map from string keys to scalars (map[string]string, map[string]any, ...);
//   - a list whose items are scalars or maps from string keys to scalars
//     ([]string, []int, []map[string]string, []any, ...).
//
// Nothing deeper is allowed. nil, NaN, ±Inf and numbers a float64 cannot
// hold (json.Number("1e400")) are rejected, and so is text (keys, strings)
// that is not valid UTF-8, because the service's value model cannot carry
// them and JSON encoders would silently change them.
type Fields map[string]any

// Snapshot is the state of a system at a time: a flat map of namespaced fields.
type Snapshot struct {
	Fields Fields `json:"fields"`
}

// Event is one discrete, named occurrence with optional metadata.
type Event struct {
	Name     string `json:"event"`
	Metadata Fields `json:"metadata,omitempty"`
}

// Validate reports whether s fits the service's value model. The error is a
// *ValidationError naming the offending path, such as
// "fields.puppetserver.metric4.x".
func (s Snapshot) Validate() error {
	return validationError(value.CheckSnapshot(s.Fields))
}

// Validate reports whether e fits the service's value model: a non-empty
// name, and metadata (when present) made of allowed values.
func (e Event) Validate() error {
	return validationError(value.CheckEvent(e.Name, e.Metadata))
}

// MarshalJSON encodes the event in the wire shape
// {"event":NAME,"metadata":{...}}, omitting metadata when it is nil.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.Metadata == nil {
		return json.Marshal(struct {
			Name string `json:"event"`
		}{e.Name})
	}
	// An empty, non-nil map is sent as {} rather than dropped.
	return json.Marshal(struct {
		Name     string `json:"event"`
		Metadata Fields `json:"metadata"`
	}{e.Name, e.Metadata})
}

// validateSize validates e and, in the same pass, estimates its encoded
// size, which a memory-mode Reporter uses to bound its queue.
func (e Event) validateSize() (int64, error) {
	n, err := value.EventSize(e.Name, e.Metadata)
	return n, validationError(err)
}

// validateFieldsSize validates f and, in the same pass, estimates its
// encoded size (exact for strings, approximate for the rest).
func validateFieldsSize(path string, f Fields) (int64, error) {
	n, err := value.FieldsSize(path, f)
	return n, validationError(err)
}

// validationError is the value model's error as the public
// *ValidationError (nil stays nil).
func validationError(err error) error {
	if err == nil {
		return nil // before errors.As, whose target would escape: Event's fast path allocates nothing here
	}
	var ve *value.Error
	if errors.As(err, &ve) {
		return &ValidationError{Path: ve.Path, Reason: ve.Reason}
	}
	return err
}
