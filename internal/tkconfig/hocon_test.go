package tkconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testEnv is the only environment the HOCON tests see.
func testEnv(k string) (string, bool) {
	v, ok := map[string]string{"HOME": "/home/pe", "PORT": "8150", "a.b": "dotted"}[k]
	return v, ok
}

func parseConf(t *testing.T, src string) (*Config, error) {
	t.Helper()
	return Loader{LookupEnv: testEnv}.Parse(filepath.Join(t.TempDir(), "test.conf"), []byte(src))
}

type m = map[string]any

func TestHOCONValues(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want m
	}{
		{"empty", "", m{}},
		{"only comments", "# a\n// b\n\n", m{}},
		{"colon", "a: 1", m{"a": int64(1)}},
		{"equals", "a = 1", m{"a": int64(1)}},
		{"braced root", "{ a: 1 }", m{"a": int64(1)}},
		{"braced root with comments", "# x\n{\n a: 1 // y\n}\n# z\n", m{"a": int64(1)}},
		{"object without separator", "a { b: 1 }", m{"a": m{"b": int64(1)}}},
		{"object with colon", "a: { b: 1 }", m{"a": m{"b": int64(1)}}},
		{"comma separated", "a: 1, b: 2,", m{"a": int64(1), "b": int64(2)}},
		{"comments", "a: 1 # one\nb: 2 // two\n// c: 3\n#d: 4", m{"a": int64(1), "b": int64(2)}},
		{"dotted key", "a.b.c: 1", m{"a": m{"b": m{"c": int64(1)}}}},
		{"dotted keys merge", "a.b: 1\na.c: 2", m{"a": m{"b": int64(1), "c": int64(2)}}},
		{"quoted segment", `web-router-service."puppetlabs.analytics.service/analytics-service": "/analytics"`,
			m{"web-router-service": m{"puppetlabs.analytics.service/analytics-service": "/analytics"}}},
		{"quoted whole key", `"a.b": 1`, m{"a.b": int64(1)}},
		{"numeric key segments", "10.0.0.1: x", m{"10": m{"0": m{"0": m{"1": "x"}}}}},
		{"quoted string escapes", `a: "q\" b\\ s\/ \n\t \u00e9 \ud83d\ude00"`, m{"a": "q\" b\\ s/ \n\t é 😀"}},
		{"triple quoted", "a: \"\"\"line1\n  \"q\" \\n\"\"\"", m{"a": "line1\n  \"q\" \\n"}},
		{"triple quoted extra quotes", `a: """x"""""`, m{"a": `x""`}},
		{"unquoted path", "a: /etc/puppetlabs/puppet/ssl/certs/ca.pem", m{"a": "/etc/puppetlabs/puppet/ssl/certs/ca.pem"}},
		{"quoted url", `url: "https://localhost:8140/analytics"`, m{"url": "https://localhost:8140/analytics"}},
		{"quoted url then comment", "url: \"https://x:1/y\" // note\n", m{"url": "https://x:1/y"}},
		{"unquoted host and port", "a: localhost:8140", m{"a": "localhost:8140"}},
		{"comment right after separator", "a: 1\nb: //x\n", nil},
		{"unquoted with spaces", "a: foo bar  \n", m{"a": "foo bar"}},
		{"unquoted ip", "a: 10.0.0.1", m{"a": "10.0.0.1"}},
		{"unquoted duration", "a: 5s", m{"a": "5s"}},
		{"integers", "a: 8140\nb: -3\nc: 0", m{"a": int64(8140), "b": int64(-3), "c": int64(0)}},
		{"big integer keeps precision", "a: 9007199254740993", m{"a": int64(9007199254740993)}},
		{"overflowing integer", "a: 99999999999999999999", m{"a": 1e20}},
		{"floats", "a: 1.5\nb: 2e3\nc: -0.25", m{"a": 1.5, "b": 2000.0, "c": -0.25}},
		{"leading zero is text", "a: 08140", m{"a": "08140"}},
		{"booleans and null", "a: true\nb: false\nc: null\nd: yes", m{"a": true, "b": false, "c": nil, "d": "yes"}},
		{"quoted true is string", `a: "true"`, m{"a": "true"}},
		{"array commas", "a: [1, 2, 3]", m{"a": []any{int64(1), int64(2), int64(3)}}},
		{"array newlines", "a: [\n  1\n  2 # two\n  3,\n]", m{"a": []any{int64(1), int64(2), int64(3)}}},
		{"empty array", "a: []", m{"a": []any{}}},
		{"nested arrays and objects", "a: [[1], {b: [x, \"y\"]}]", m{"a": []any{[]any{int64(1)}, m{"b": []any{"x", "y"}}}}},
		{"array of urls", `a: ["http://a/b", "https://c:1/d"]`, m{"a": []any{"http://a/b", "https://c:1/d"}}},
		{"deep object", "a { b { c { d: 1 } } }", m{"a": m{"b": m{"c": m{"d": int64(1)}}}}},
		{"duplicate objects merge", "a { x: 1 }\na { y: 2 }", m{"a": m{"x": int64(1), "y": int64(2)}}},
		{"later scalar wins", "a: 1\na: 2", m{"a": int64(2)}},
		{"scalar replaces object", "a { x: 1 }\na: 2", m{"a": int64(2)}},
		{"object replaces scalar", "a: 2\na { x: 1 }", m{"a": m{"x": int64(1)}}},
		{"dotted key into earlier object", "a { x: 1 }\na.y: 2", m{"a": m{"x": int64(1), "y": int64(2)}}},
		{"string concatenation", `a: foo "bar" baz`, m{"a": "foo bar baz"}},
		{"concatenation without space", `a: foo"bar"`, m{"a": "foobar"}},
		{"substitution", "a: 1\nb: ${a}", m{"a": int64(1), "b": int64(1)}},
		{"substitution of object", "a { x: 1 }\nb: ${a}", m{"a": m{"x": int64(1)}, "b": m{"x": int64(1)}}},
		{"substitution copy is independent", "a { x: 1 }\nb: ${a}\nb.y: 2", m{"a": m{"x": int64(1)}, "b": m{"x": int64(1), "y": int64(2)}}},
		{"substitution of sibling", "a { x: 1, y: ${a.x} }", m{"a": m{"x": int64(1), "y": int64(1)}}},
		{"substitution in string", "host: h\nport: 8140\nurl: \"https://\"${host}:${port}/x", m{"host": "h", "port": int64(8140), "url": "https://h:8140/x"}},
		{"quoted path in substitution", "a.\"b.c\": 1\nd: ${a.\"b.c\"}", m{"a": m{"b.c": int64(1)}, "d": int64(1)}},
		{"self reference", "p: a\np: ${p}\":b\"", m{"p": "a:b"}},
		{"environment", "h: ${HOME}/x\np: ${PORT}", m{"h": "/home/pe/x", "p": "8150"}},
		{"environment dotted name", "x: ${a.b}", m{"x": "dotted"}},
		{"config wins over environment", "HOME: /root\nh: ${HOME}", m{"HOME": "/root", "h": "/root"}},
		{"optional missing omits field", "a: ${?NOPE}", m{}},
		{"optional missing keeps earlier", "a: 1\na: ${?NOPE}", m{"a": int64(1)}},
		{"optional present", "a: ${?PORT}", m{"a": "8150"}},
		{"optional missing in string", `a: x${?NOPE}y`, m{"a": "xy"}},
		{"optional missing in array", "a: [1, ${?NOPE}, 2]", m{"a": []any{int64(1), int64(2)}}},
		{"object concatenation", "base { x: 1 }\na: ${base} { y: 2 }", m{"base": m{"x": int64(1)}, "a": m{"x": int64(1), "y": int64(2)}}},
		{"array concatenation", "a: [1]\nb: ${a} [2]", m{"a": []any{int64(1)}, "b": []any{int64(1), int64(2)}}},
		// As Typesafe Config reads them: +=, forward references (resolved
		// against the file's final values), ${?ENV}.
		{"plus equals starts an array", "a += 1", m{"a": []any{int64(1)}}},
		{"plus equals appends", "a: [1]\na += 2\na += {x: 3}", m{"a": []any{int64(1), int64(2), m{"x": int64(3)}}}},
		{"plus equals in object", "a { p += x }\na { p += y }", m{"a": m{"p": []any{"x", "y"}}}},
		{"plus equals forward", "a += ${b}\nb: 1", m{"a": []any{int64(1)}, "b": int64(1)}},
		{"forward reference", "a: ${b}\nb: 1", m{"a": int64(1), "b": int64(1)}},
		{"forward reference sees the last write", "a: 1\nb: ${a}\na: 2", m{"a": int64(2), "b": int64(2)}},
		{"forward reference to object", "a: ${b}\nb { x: 1 }\nb.y: 2", m{"a": m{"x": int64(1), "y": int64(2)}, "b": m{"x": int64(1), "y": int64(2)}}},
		{"forward reference chain", "a: ${b}x\nb: ${c}y\nc: z", m{"a": "zyx", "b": "zy", "c": "z"}},
		{"forward reference in array", "a: [${b}, 2]\nb: 1", m{"a": []any{int64(1), int64(2)}, "b": int64(1)}},
		{"forward reference in string", "url: \"https://\"${host}\":8140\"\nhost: h", m{"url": "https://h:8140", "host": "h"}},
		{"forward optional missing", "a: 1\na: ${?b.nope}\nb: {}", m{"a": int64(1), "b": m{}}},
		{"object over forward reference", "a: ${b}\na { y: 2 }\nb { x: 1 }", m{"a": m{"x": int64(1), "y": int64(2)}, "b": m{"x": int64(1)}}},
		{"dotted key over forward reference", "a: ${b}\na.y: 2\nb { x: 1 }", m{"a": m{"x": int64(1), "y": int64(2)}, "b": m{"x": int64(1)}}},
		{"self reference after forward", "a: ${b}\na: ${a} [2]\nb: [1]", m{"a": []any{int64(1), int64(2)}, "b": []any{int64(1)}}},
		{"optional environment", "p: 1\np: ${?PORT}\nq: ${?NOPE}", m{"p": "8150"}},
		{"forward reference from object in array", "a: [{x: ${b}}]\nb: 1", m{"a": []any{m{"x": int64(1)}}, "b": int64(1)}},
		{"include key named include", `include: 1`, m{"include": int64(1)}},
		{"quoted include key", `"include" { a: 1 }`, m{"include": m{"a": int64(1)}}},
		{"crlf line endings", "a: 1\r\nb {\r\n c: x\r\n}\r\n", m{"a": int64(1), "b": m{"c": "x"}}},
		{"byte order mark", "\uFEFFa: 1", m{"a": int64(1)}},
		{"tabs", "a\t=\t1", m{"a": int64(1)}},
		{"dollar in unquoted", "a: pa$$word", m{"a": "pa$$word"}},
		{"empty quoted key", `"": 1`, m{"": int64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConf(t, tt.src)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("parsed %v, want an error", c.Map())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Map(); !reflect.DeepEqual(got, map[string]any(tt.want)) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestHOCONErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		key       string
		contains  string
		is        error
	}{
		{"missing value", "a: 1\nb:\n", 2, 3, "b", "missing value", ErrSyntax},
		{"missing separator", "a 1", 1, 3, "a", "expected ':', '=' or '{'", ErrSyntax},
		{"unclosed object", "a {\n b: 1\n", 1, 3, "a", "never closed", ErrSyntax},
		{"unclosed array", "a: [1,\n2", 1, 4, "a", "never closed", ErrSyntax},
		{"unclosed string", "a: \"abc\nb: 1", 1, 4, "a", "never closed", ErrSyntax},
		{"unclosed triple string", `a: """abc`, 1, 4, "a", "never closed", ErrSyntax},
		{"stray close brace", "a: 1\n}", 2, 1, "", "unexpected '}'", ErrSyntax},
		{"double comma", "a: 1,,b: 2", 1, 6, "", "unexpected ','", ErrSyntax},
		{"bad escape", `a: "\q"`, 1, 5, "a", `invalid escape \q`, ErrSyntax},
		{"bad unicode escape", `a: "\u12"`, 1, 5, "a", "four hex digits", ErrSyntax},
		{"junk after value", "a: [1] x", 1, 8, "a", "cannot concatenate", ErrSyntax},
		{"junk after braced root", "{ a: 1 }\nb: 2", 2, 1, "", "after the root object", ErrSyntax},
		{"empty key segment", "a..b: 1", 1, 3, "", "empty key segment", ErrSyntax},
		{"trailing dot", "a.: 1", 1, 3, "", "key ends with '.'", ErrSyntax},
		{"plus equals on a scalar", "a: 1\na += 2", 2, 6, "a", "+= appends to an array, but the key already holds the value 1", ErrSyntax},
		{"unquoted url", "url: https://localhost:8140/analytics", 1, 6, "url", "quote URLs: HOCON reads // as a comment", ErrSyntax},
		{"unquoted url in array", "a: [http://a/b]", 1, 5, "a", "quote URLs: HOCON reads // as a comment", ErrSyntax},
		{"unquoted double slash", "a: x//y", 1, 4, "a", `unquoted value "x" runs into "//"`, ErrSyntax},
		{"substitution cycle", "a: ${b}\nb: ${a}", 1, 4, "a", "substitution cycle", ErrUnresolved},
		{"object needs itself", "a { x: 1, y: ${a} }", 1, 14, "a.y", "substitution cycle", ErrUnresolved},
		{"unresolved", "a: 1\nb {\n c: ${nope.x}\n}", 3, 5, "b.c", "${nope.x} is not set", ErrUnresolved},
		{"forward reference unset", "a: ${b}\nc: 1", 1, 4, "a", "${b} is not set", ErrUnresolved},
		{"unclosed substitution", "a: ${b", 1, 7, "a", "expected '}'", ErrSyntax},
		{"include url", `include url("http://x")`, 1, 9, "", "not supported", ErrSyntax},
		{"required include missing", `include required("nope.conf")`, 1, 9, "", "not found", os.ErrNotExist},
		{"invalid utf8", "a: \"\xff\"", 1, 5, "", "invalid UTF-8", ErrSyntax},
		{"control character", "a: \"\x01\"", 1, 5, "a", "control character", ErrSyntax},
		{"too deep", "a: " + strings.Repeat("[", maxDepth+1), 1, maxDepth + 4, "a", "nested more than", ErrSyntax},
		{"array junk", "a: [1 2 }", 1, 9, "a", "expected a newline, ',' or ']'", ErrSyntax},
		{"error in nested object names full key", "webserver {\n port: [\n}", 3, 1, "webserver.port", "missing value", ErrSyntax},
		{"key with space", "foo bar: 1", 1, 5, "foo", "expected ':', '=' or '{'", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConf(t, tt.src)
			if err == nil {
				t.Fatalf("parsed %v, want an error", c.Map())
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if !strings.HasSuffix(e.File, "test.conf") || e.Line != tt.line || e.Col != tt.col || e.Key != tt.key {
				t.Errorf("at %s:%d:%d key %q, want test.conf:%d:%d key %q (%v)", e.File, e.Line, e.Col, e.Key, tt.line, tt.col, tt.key, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not contain %q", err, tt.contains)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
		})
	}
}

func TestHOCONInclude(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.conf", `
a: 1
webserver {
  include "sub/web.conf"
  port: 8140
}
include "missing.conf"
include required(file("extra"))
`)
	write(t, dir, "sub/web.conf", "host: h\nurl: \"http://\"${host}\nport: 1\n")
	write(t, dir, "extra.conf", "b: ${a}\n")
	write(t, dir, "extra.json", `{"c": [1, 2]}`)
	c, err := Loader{LookupEnv: testEnv}.Load(filepath.Join(dir, "main.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := m{
		"a":         int64(1),
		"b":         int64(1),
		"c":         []any{int64(1), int64(2)},
		"webserver": m{"host": "h", "url": "http://h", "port": int64(8140)},
	}
	if got := c.Map(); !reflect.DeepEqual(got, map[string]any(want)) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if f := c.File("webserver", "host"); f != filepath.Join(dir, "sub/web.conf") {
		t.Errorf("webserver.host set by %q, want sub/web.conf", f)
	}
	if f := c.File("webserver", "port"); f != filepath.Join(dir, "main.conf") {
		t.Errorf("webserver.port set by %q, want main.conf", f)
	}
}

func TestHOCONIncludeCycle(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.conf", `include "b.conf"`)
	write(t, dir, "b.conf", `include "a.conf"`)
	_, err := Load(filepath.Join(dir, "a.conf"))
	if err == nil || !strings.Contains(err.Error(), "include cycle") {
		t.Fatalf("got %v, want an include cycle error", err)
	}
}

// write creates dir/name (and its directories) holding content.
func write(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHOCONLimits(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("a: [1, 2, 3, 4]\n")
	for range 40 {
		doubling.WriteString("a: ${a} ${a}\n")
	}
	var strDoubling strings.Builder
	strDoubling.WriteString("a: xxxxxxxx\n")
	for range 40 {
		strDoubling.WriteString("a: ${a}${a}\n")
	}
	tests := []struct {
		name, src, text string
	}{
		{"array doubling", doubling.String(), "substitutions copy more than"},
		{"string doubling", strDoubling.String(), "substitutions copy more than"},
		{"long dotted key", strings.Repeat("a.", maxDepth) + "a: 1", "more than 256 segments"},
		{"deep objects", strings.Repeat("a {", maxDepth+1), "more than 256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConf(t, tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("got %v, want an error containing %q", err, tt.text)
			}
		})
	}
}

func TestHOCONIncludeFanOut(t *testing.T) {
	// Each level includes the next twice: 2^20 parses without a limit.
	dir := t.TempDir()
	for i := range 20 {
		write(t, dir, fmt.Sprintf("f%d.conf", i), fmt.Sprintf("include \"f%d.conf\"\ninclude \"f%d.conf\"\n", i+1, i+1))
	}
	write(t, dir, "f20.conf", "x: 1\n")
	_, err := Load(filepath.Join(dir, "f0.conf"))
	if err == nil || !strings.Contains(err.Error(), "more than 1024 includes") {
		t.Fatalf("got %v, want the include limit", err)
	}
}
