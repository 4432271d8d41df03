package value_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/value"
)

func TestDecodeAccepts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want any
	}{
		{`{}`, map[string]any{}},
		{" \t\r\n[] ", []any{}},
		{`{"a":[1,-0.5e+3,true,false,null,"x"],"b":{"c":"d"}}`, map[string]any{
			"a": []any{json.Number("1"), json.Number("-0.5e+3"), true, false, nil, "x"}, "b": map[string]any{"c": "d"}}},
		{`"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`, "é😀\"\\/\b\f\n\r\t"},
		{`"é😀"`, "é😀"},
		{`"\uFFFD"`, "\uFFFD"},          // a replacement character the body wrote is kept
		{`1e400`, json.Number("1e400")}, // syntax only: the value model refuses it
		{`{"a":1,"A":2}`, map[string]any{"a": json.Number("1"), "A": json.Number("2")}},
	} {
		got, err := value.Decode([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Decode(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		in  string
		msg string
	}{
		{``, "no JSON value at byte offset 0"},
		{`  `, "no JSON value at byte offset 2"},
		{`{"event":"a","event":"b"}`, `duplicate key "event" at byte offset 13`},
		{`{"m":{"k":1,"k":2}}`, `duplicate key "k" at byte offset 12`},
		{`{"\u0061":1,"a":2}`, `duplicate key "a" at byte offset 12`},
		{`{"` + strings.Repeat("k", 100) + `":1,"` + strings.Repeat("k", 100) + `":1}`,
			`duplicate key "` + strings.Repeat("k", 64) + `"... at byte offset 106`},
		{"{\"event\":\"a\xffb\"}", "invalid UTF-8 at byte offset 11"},
		{"\"\xed\xa0\x80\"", "invalid UTF-8 at byte offset 1"}, // a surrogate encoded as UTF-8
		{"\"\xc3\"", "invalid UTF-8 at byte offset 1"},
		{"{\"k\xc0\xaf\":1}", "invalid UTF-8 at byte offset 3"}, // overlong
		{`{"event":"\ud800"}`, `lone surrogate \ud800 at byte offset 10`},
		{`"ab\udc00"`, `lone surrogate \udc00 at byte offset 3`},
		{`"\ud800\u0041"`, `lone surrogate \ud800 at byte offset 1`},
		{`"\ud800x"`, `lone surrogate \ud800 at byte offset 1`},
		{`"\uD83D"`, `lone surrogate \uD83D at byte offset 1`},
		{`{"event":"a"} x`, "unexpected data after the JSON value at byte offset 13"},
		{`{"event":"a"}{}`, "unexpected data after the JSON value at byte offset 13"},
		{`{"a":1,}`, "invalid character '}' looking for an object key at byte offset 7"},
		{`[1,]`, "invalid character ']' looking for the start of a value at byte offset 3"},
		{`{"a" 1}`, "invalid character '1' after an object key at byte offset 5"},
		{`{"a":1 "b":2}`, `invalid character '"' after an object value at byte offset 7`},
		{`[1 2]`, "invalid character '2' after an array element at byte offset 3"},
		{`{"a":`, "unexpected end of JSON input at byte offset 5"},
		{`"abc`, "unexpected end of JSON input at byte offset 4"},
		{"\"a\tb\"", "invalid character byte 0x9 in a string (control characters must be escaped) at byte offset 2"},
		{`"\x"`, "invalid character 'x' in a string escape at byte offset 2"},
		{`"\u12G4"`, "invalid character 'G' in a \\u escape at byte offset 5"},
		{`tru`, "unexpected end of JSON input at byte offset 3"},
		{`trUe`, "invalid character 'U' in literal true at byte offset 2"},
		{`-`, "unexpected end of JSON input at byte offset 1"},
		{`01`, "unexpected data after the JSON value at byte offset 1"},
		{`1.e5`, "invalid character 'e' in a number at byte offset 2"},
		{`1e+`, "unexpected end of JSON input at byte offset 3"},
		{`-x`, "invalid character 'x' in a number at byte offset 1"},
		{"\ufeff{}", "invalid character byte 0xef looking for the start of a value at byte offset 0"},
		{strings.Repeat("[", value.MaxDepth+1), "nesting deeper than 10000 at byte offset 10000"},
	} {
		_, err := value.Decode([]byte(tc.in))
		var se *value.SyntaxError
		if !errors.As(err, &se) || err.Error() != tc.msg {
			t.Errorf("Decode(%.40q) = %v; want %s", tc.in, err, tc.msg)
		}
	}
}

// TestDecodeDepth accepts the deepest nesting encoding/json accepts.
func TestDecodeDepth(t *testing.T) {
	in := strings.Repeat("[", value.MaxDepth) + strings.Repeat("]", value.MaxDepth)
	if _, err := value.Decode([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(in)) || json.Valid([]byte("["+in+"]")) {
		t.Fatal("MaxDepth is not encoding/json's limit")
	}
}
