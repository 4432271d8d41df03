package limits_test

import (
	"testing"

	"github.com/analytics-client/analytics/internal/value"
	"github.com/analytics-client/analytics/server/limits"
)

// decodedValues counts the values of a decoded JSON tree as countValues
// counts them in its text.
func decodedValues(v any) int {
	n := 1
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			n += decodedValues(e)
		}
	case []any:
		for _, e := range v {
			n += decodedValues(e)
		}
	}
	return n
}

// FuzzCountValues: for every body the decoder accepts, countValues counts
// exactly the values it decodes, so that analytics.max-fields bounds what
// decoding allocates.
func FuzzCountValues(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":1}`, ` { "a" : [ 1 , 2 , { } , [ ] ] } `, `"x,y:{["`, `"\"{,"`,
		`{"fields":{"a":{"b":[1,"\\",null]}}}`, `[[[],[]],{}]`, `1`, `"\u202e"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := value.Decode(body)
		if err != nil {
			return
		}
		if got, want := limits.CountValues(body), decodedValues(v); got != want {
			t.Errorf("CountValues(%q) = %d, the decoder found %d", body, got, want)
		}
	})
}
