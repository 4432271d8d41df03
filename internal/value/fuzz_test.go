package value_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/jsonoracle"
	"github.com/analytics-client/analytics/internal/value"
)

// FuzzDecode holds Decode to an independent oracle built on encoding/json:
// Decode accepts exactly the bodies that are one JSON value, valid UTF-8,
// without repeated keys or lone surrogate escapes, and then returns what
// encoding/json returns; a body with one kind of problem is refused for
// that problem. The canonical encoding of what it accepts decodes to the
// same value and is its own canonical encoding.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"event":"a","metadata":{"k":[1,{"x":"y"}]}}`, `{"a":1,"a":2}`, `"\ud800"`,
		`"\ud83d\ude00"`, "\"\xff\"", `"\uFFFD"`, `[1e400,-0.0,0]`, ` {"a" : [ ] } `, `{"a":{"a":{"a":1}}}`,
		`"\u0000\u001f\\"`, `[tru]`, `nul`, `{"a":1,}`, "\ufeff1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := value.Decode(data)
		want, problems := jsonoracle.Decode(data)
		if (err == nil) != (len(problems) == 0) {
			t.Fatalf("Decode(%q) = %v; oracle's problems: %v", data, err, problems)
		}
		if err != nil {
			checkRefusal(t, data, err, problems)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q) = %#v; encoding/json: %#v", data, got, want)
		}
		checkCanonical(t, got)
	})
}

func checkRefusal(t *testing.T, data []byte, err error, problems []string) {
	t.Helper()
	var se *value.SyntaxError
	if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(data) {
		t.Fatalf("Decode(%q) = %v, not a *SyntaxError within the body", data, err)
	}
	if len(problems) != 1 {
		return
	}
	word := map[string]string{jsonoracle.UTF8: "invalid UTF-8", jsonoracle.Duplicate: "duplicate key",
		jsonoracle.Surrogate: "lone surrogate"}[problems[0]]
	if word != "" && !strings.HasPrefix(se.Reason, word) {
		t.Fatalf("Decode(%q) = %v; the oracle finds only %s", data, err, problems[0])
	}
}

func checkCanonical(t *testing.T, v any) {
	t.Helper()
	c, err := value.Canonical(v)
	if err != nil {
		t.Fatalf("Canonical(%#v): %v", v, err)
	}
	back, err := value.Decode(c)
	if err != nil || !reflect.DeepEqual(back, v) || !json.Valid(c) {
		t.Fatalf("Canonical(%#v) = %q, which decodes to %#v, %v", v, c, back, err)
	}
	if again, _ := value.Canonical(back); string(again) != string(c) {
		t.Fatalf("canonical bytes %q encode again as %q", c, again)
	}
}
