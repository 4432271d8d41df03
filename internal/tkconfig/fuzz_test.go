package tkconfig

import (
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParseHOCON checks that no input makes the HOCON parser panic or hang,
// that every failure is a positioned *Error, and that a successful parse
// yields only the documented value types.
func FuzzParseHOCON(f *testing.F) {
	seeds := []string{
		"",
		"a: 1",
		"{ a: 1, b: [1, 2.5, \"x\", {c: null}] }",
		"webserver {\n  port: 8140 # c\n  url: \"https://localhost:8140/a\" // c\n}",
		"web-router-service.\"puppetlabs.analytics.service/analytics-service\": \"/analytics\"",
		"a: \"\"\"multi\nline\"\"\"",
		"a { x: 1 }\nb: ${a} { y: 2 }\nc: ${?NOPE}\nd: ${a.x}\" and \"${b.y}",
		"a: [1]\nb: ${a} [2]",
		"a += ${b}\nb: [1]\nb += 2",
		"a: ${b}\nb: ${a}",
		"a: ${b}\na.y: 2\nb { x: [${?c}, ${d}] }\nd: 1",
		"a: \"\\u00e9\\ud83d\\ude00\"",
		"include \"nope.conf\"\ninclude required(file(\"x\"))",
		"a.b.c = true, d = false, e = yes",
		"a: [[[[]]]]",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseHOCON(filepath.Join("testdata", "fuzz", "root.conf"), data, func(string) (string, bool) { return "", false }, nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File == "" {
				t.Fatalf("error without a file: %v", err)
			}
			if errors.Is(err, ErrSyntax) && e.Line == 0 {
				t.Fatalf("syntax error without a line: %v", err)
			}
			return
		}
		checkTypes(t, n.toAny())
	})
}

func checkTypes(t *testing.T, v any) {
	switch v := v.(type) {
	case nil, string, bool, int64, float64:
	case []any:
		for _, e := range v {
			checkTypes(t, e)
		}
	case map[string]any:
		for _, e := range v {
			checkTypes(t, e)
		}
	default:
		t.Fatalf("value of type %T", v)
	}
}

// FuzzParseEDNAndProperties checks the EDN and properties readers the same
// way: no panic, positioned errors, only the documented value types.
func FuzzParseEDNAndProperties(f *testing.F) {
	for _, s := range []string{"{:a {:b [1 2.5 \"x\" nil true :k]}}", "{\"k\" #{1} :l (a b) #_ :x :y {}}",
		"a.b = 1\nc : x\\\n  y\nd \\u00e9\n# c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"x.edn", "x.properties"} {
			c, err := Parse(name, data)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.File != name || e.Line == 0 {
					t.Fatalf("%s: error without a position: %v", name, err)
				}
				continue
			}
			checkTypes(t, c.root.toAny())
		}
	})
}
