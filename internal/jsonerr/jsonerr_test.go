package jsonerr_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/analytics-client/analytics/internal/jsonerr"
)

func TestDescribe(t *testing.T) {
	type event struct {
		Event    *string        `json:"event"`
		Metadata map[string]any `json:"metadata"`
		N        int            `json:"n"`
		L        []string       `json:"l"`
		B        bool           `json:"b"`
	}
	tests := []struct{ in, want string }{
		{`[1]`, "must be an object, not an array"},
		{`"x"`, "must be an object, not a string"},
		{`{"event":5}`, `"event" must be a string, not a number`},
		{`{"metadata":[]}`, `"metadata" must be an object, not an array`},
		{`{"n":"1"}`, `"n" must be an integer, not a string`},
		{`{"l":{}}`, `"l" must be an array, not an object`},
		{`{"b":1}`, `"b" must be a boolean, not a number`},
		{`{"n":1.5}`, `"n" must be an integer, not a number`},
	}
	for _, tt := range tests {
		var e event
		err := json.Unmarshal([]byte(tt.in), &e)
		if got := jsonerr.Describe(err); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := jsonerr.Describe(errors.New("json: unknown field \"x\"")); got != `unknown field "x"` {
		t.Errorf("unknown field: %q", got)
	}
}
