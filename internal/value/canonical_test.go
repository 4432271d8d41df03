package value_test

import (
	"encoding/json"
	"testing"

	"github.com/analytics-client/analytics/internal/value"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{`{"b":1,"a":[true,null,"x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{` { "a" : { "z" : "\u0041", "y" : "\/" } } `, `{"a":{"y":"/","z":"A"}}`},
		{`"<&>\u2028é\n\u0001\"\\"`, `"<&>` + "\u2028" + `é\n\u0001\"\\"`},
		{`[1.0,1,-0,1E2]`, `[1.0,1,-0,1E2]`}, // literals as written
	} {
		v, err := value.Decode([]byte(tc.a))
		if err != nil {
			t.Fatal(err)
		}
		got, err := value.Canonical(v)
		if err != nil || string(got) != tc.b {
			t.Errorf("Canonical(%s) = %s, %v; want %s", tc.a, got, err, tc.b)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, v := range []any{float64(1), json.Number("1x"), "\xff", map[string]any{"a": []any{struct{}{}}}} {
		if b, err := value.Canonical(v); err == nil {
			t.Errorf("Canonical(%#v) = %s, want an error", v, b)
		}
	}
}
