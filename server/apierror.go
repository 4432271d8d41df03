package server

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// Error kinds of the JSON error shape {"kind":...,"msg":...}.
const (
	KindInvalidData      = "invalid-data"
	KindSchemaViolation  = "schema-violation"
	KindTooLarge         = "request-too-large"
	KindApplicationError = "application-error"
	KindStorageError     = "storage-error"
	KindForbidden        = "forbidden"
)

// schemaPrefix starts every schema-violation message, as the JVM service
// words it.
const schemaPrefix = "The objects that were submitted did not conform to the schema. The problem is: "

// apiError is an answer in the JSON error shape. Details, when set, maps
// each offending key or path to its problem. RequestID is the id of the
// request (see RequestIDHeader). Cause, never sent, is the internal error
// behind the answer: it is logged with the request id.
type apiError struct {
	Status int `json:"-"`
	// RetryAfter, when positive, is sent as the Retry-After header
	// (seconds).
	RetryAfter int               `json:"-"`
	Kind       string            `json:"kind"`
	Msg        string            `json:"msg"`
	Details    map[string]string `json:"details,omitempty"`
	RequestID  string            `json:"request-id,omitempty"`
	Cause      error             `json:"-"`
}

// outcome encodes e as an answer in the JSON error shape.
func (e *apiError) outcome() outcome {
	body, err := jsonbody.Marshal(e)
	if err != nil {
		body = []byte(`{"kind":"application-error","msg":"` + msgUncaught + `"}`)
	}
	return outcome{status: e.Status, body: body, retryAfter: e.RetryAfter, err: e}
}

func invalidData(format string, args ...any) *apiError {
	return &apiError{Status: 400, Kind: KindInvalidData, Msg: "Failed to parse body as JSON: " + fmt.Sprintf(format, args...)}
}

// problem is one schema problem: the key or path, and what is wrong, in the
// notation of the JVM's schema library (disallowed-key,
// missing-required-key, (not (map? nil)), ...).
type problem struct {
	key  string
	what string
}

// schemaViolation builds the 422 for one or more problems. The message
// lists them as the JVM service does: (["extra" disallowed-key]).
func schemaViolation(problems ...problem) *apiError {
	sort.Slice(problems, func(i, j int) bool { return problems[i].key < problems[j].key })
	parts := make([]string, len(problems))
	details := make(map[string]string, len(problems))
	for i, p := range problems {
		parts[i] = "[" + quote(p.key) + " " + p.what + "]"
		details[p.key] = p.what
	}
	return &apiError{
		Status:  422,
		Kind:    KindSchemaViolation,
		Msg:     schemaPrefix + "(" + strings.Join(parts, " ") + ")",
		Details: details,
	}
}

// notA describes a value that fails a type predicate, e.g.
// (not (string? 5)).
func notA(pred string, v any) string {
	return "(not (" + pred + "? " + literal(v) + "))"
}

// literal renders v as short JSON for a message.
func literal(v any) string {
	if v == nil {
		return "nil"
	}
	b, err := jsonbody.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%T", v)
	}
	if len(b) > 40 {
		return string(b[:37]) + "..."
	}
	return string(b)
}

// quote renders s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
