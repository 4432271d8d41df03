package server

import (
	"bytes"
	"errors"

	"github.com/analytics-client/analytics/internal/value"
)

// decodeObject parses body as exactly one strict JSON object (see
// value.Decode), keeping numbers as json.Number so that literals survive
// unchanged. A body that is not strict JSON gets 400 naming the byte
// offset: invalid UTF-8, a lone surrogate escape and a repeated key are
// refused rather than silently changed.
func decodeObject(body []byte) (map[string]any, *apiError) {
	// Only JSON's own whitespace: bytes.TrimSpace would also drop Unicode
	// spaces such as U+00A0, which make a body invalid JSON.
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return nil, invalidData("the body is empty")
	}
	v, err := value.Decode(body)
	if err != nil {
		return nil, invalidData("%s", err)
	}
	return asObject(v)
}

// asObject is v as a JSON object, or the 422 a body that is not one gets.
func asObject(v any) (map[string]any, *apiError) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, schemaViolation(problem{"", notA("map", v)})
	}
	return m, nil
}

// disallowed lists the keys of m that are not allowed.
func disallowed(m map[string]any, allowed ...string) []problem {
	var out []problem
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			out = append(out, problem{k, "disallowed-key"})
		}
	}
	return out
}

// event is an event body that passed its checks; metadata is nil when the
// body has none.
type event struct {
	name     string
	metadata map[string]any
}

// parseEvent checks an event body's shape and value model.
func parseEvent(m map[string]any) (event, *apiError) {
	if ps := disallowed(m, "event", "metadata"); ps != nil {
		return event{}, schemaViolation(ps...)
	}
	raw, ok := m["event"]
	if !ok {
		return event{}, schemaViolation(problem{"event", "missing-required-key"})
	}
	name, ok := raw.(string)
	if !ok {
		return event{}, schemaViolation(problem{"event", notA("string", raw)})
	}
	ev := event{name: name}
	if rawMeta, ok := m["metadata"]; ok {
		if ev.metadata, ok = rawMeta.(map[string]any); !ok {
			return event{}, schemaViolation(problem{"metadata", notA("map", rawMeta)})
		}
	}
	if err := value.CheckEvent(ev.name, ev.metadata); err != nil {
		return event{}, valueModelViolation(err)
	}
	return ev, nil
}

// parseSnapshot checks a snapshot body's shape and value model. A
// "timestamp" key is accepted and ignored.
func parseSnapshot(m map[string]any) (map[string]any, *apiError) {
	if ps := disallowed(m, "fields", "timestamp"); ps != nil {
		return nil, schemaViolation(ps...)
	}
	raw, ok := m["fields"]
	if !ok {
		return nil, schemaViolation(problem{"fields", "missing-required-key"})
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return nil, schemaViolation(problem{"fields", notA("map", raw)})
	}
	if err := value.CheckSnapshot(fields); err != nil {
		return nil, valueModelViolation(err)
	}
	return fields, nil
}

// valueModelViolation turns the value model's *value.Error into a 422
// naming the path.
func valueModelViolation(err error) *apiError {
	var ve *value.Error
	if errors.As(err, &ve) {
		return schemaViolation(problem{ve.Path, quote(ve.Reason)})
	}
	return schemaViolation(problem{"", quote(err.Error())})
}
