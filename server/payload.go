package server

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/analytics-client/analytics"
)

// decodeObject parses body as exactly one JSON object, keeping numbers as
// json.Number so that literals survive unchanged.
func decodeObject(body []byte) (map[string]any, *apiError) {
	// Only JSON's own whitespace: bytes.TrimSpace would also drop Unicode
	// spaces such as U+00A0, which make a body invalid JSON.
	trimmed := bytes.Trim(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, invalidData("the body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidData("%s", err)
	}
	if off := dec.InputOffset(); off != int64(len(trimmed)) {
		return nil, invalidData("unexpected data after the JSON value at offset %d", off)
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

// parseEvent checks an event body's shape and value model.
func parseEvent(m map[string]any) (analytics.Event, *apiError) {
	if ps := disallowed(m, "event", "metadata"); ps != nil {
		return analytics.Event{}, schemaViolation(ps...)
	}
	raw, ok := m["event"]
	if !ok {
		return analytics.Event{}, schemaViolation(problem{"event", "missing-required-key"})
	}
	name, ok := raw.(string)
	if !ok {
		return analytics.Event{}, schemaViolation(problem{"event", notA("string", raw)})
	}
	ev := analytics.Event{Name: name}
	if rawMeta, ok := m["metadata"]; ok {
		meta, ok := rawMeta.(map[string]any)
		if !ok {
			return analytics.Event{}, schemaViolation(problem{"metadata", notA("map", rawMeta)})
		}
		ev.Metadata = analytics.Fields(meta)
	}
	if err := ev.Validate(); err != nil {
		return analytics.Event{}, valueModelViolation(err)
	}
	return ev, nil
}

// parseSnapshot checks a snapshot body's shape and value model. A
// "timestamp" key is accepted and ignored.
func parseSnapshot(m map[string]any) (analytics.Snapshot, *apiError) {
	if ps := disallowed(m, "fields", "timestamp"); ps != nil {
		return analytics.Snapshot{}, schemaViolation(ps...)
	}
	raw, ok := m["fields"]
	if !ok {
		return analytics.Snapshot{}, schemaViolation(problem{"fields", "missing-required-key"})
	}
	fields, ok := raw.(map[string]any)
	if !ok {
		return analytics.Snapshot{}, schemaViolation(problem{"fields", notA("map", raw)})
	}
	s := analytics.Snapshot{Fields: analytics.Fields(fields)}
	if err := s.Validate(); err != nil {
		return analytics.Snapshot{}, valueModelViolation(err)
	}
	return s, nil
}

// valueModelViolation turns the value model's *analytics.ValidationError
// into a 422 naming the path.
func valueModelViolation(err error) *apiError {
	var ve *analytics.ValidationError
	if errors.As(err, &ve) {
		return schemaViolation(problem{ve.Path, quote(ve.Reason)})
	}
	return schemaViolation(problem{"", quote(err.Error())})
}
