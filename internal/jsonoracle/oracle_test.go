package jsonoracle_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/analytics-client/analytics/internal/jsonoracle"
)

// The oracle finds each problem it names, and only those.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{"a":[1,{"b":"\ud83d\ude00\uFFFD"}],"c":"\\ud800"}`, nil},
		{`{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, nil},
		{`{"a":1,}`, []string{jsonoracle.Syntax}},
		{`{"a":1} {}`, []string{jsonoracle.Syntax}},
		{"\"\xff\"", []string{jsonoracle.UTF8, jsonoracle.Surrogate}}, // encoding/json makes U+FFFD of both
		{`{"a":1,"b":[],"a":2}`, []string{jsonoracle.Duplicate}},
		{`{"x":{"a":1,"\u0061":2}}`, []string{jsonoracle.Duplicate}},
		{`["\ud800"]`, []string{jsonoracle.Surrogate}},
		{`{"\udc00x":1}`, []string{jsonoracle.Surrogate}},
		{`"\ud800\udc00\ud800"`, []string{jsonoracle.Surrogate}},
	} {
		v, got := jsonoracle.Decode([]byte(tc.in))
		if !slices.Equal(got, tc.want) {
			t.Errorf("Decode(%q) problems %v, want %v", tc.in, got, tc.want)
		}
		if len(got) == 0 {
			var want any
			if err := json.Unmarshal([]byte(tc.in), &want); err != nil || !reflect.DeepEqual(normalize(v), want) {
				t.Errorf("Decode(%q) = %#v, encoding/json %#v (%v)", tc.in, v, want, err)
			}
		}
	}
}

// normalize turns json.Number into float64, as Unmarshal without
// UseNumber decodes numbers.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
