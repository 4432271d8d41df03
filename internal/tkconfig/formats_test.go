package tkconfig

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name string
		data string
		want m
	}{
		{"x.json", `{"a": {"b": [1, -2.5e3, "s", false, null, [], {}]}, "big": 123456789012345678}`,
			m{"a": m{"b": []any{int64(1), -2500.0, "s", false, nil, []any{}, m{}}}, "big": int64(123456789012345678)}},
		{"x.json", "{}", m{}},
		{"x.yaml", "", m{}},
		{"x.yaml", "~\n", m{}},
		{"x.yaml", "list:\n  - 1\n  - two\n  - {k: v}\n  - [a, b]\n", m{"list": []any{int64(1), "two", m{"k": "v"}, []any{"a", "b"}}}},
		{"x.yml", "hex: 0x1F\nbig: 18446744073709551615\nf: 1.5\nts: 2024-01-02T03:04:05Z\nq: \"8140\"\nn: ~\nb: false\n",
			m{"hex": int64(31), "big": 18446744073709551615.0, "f": 1.5, "ts": "2024-01-02T03:04:05Z", "q": "8140", "n": nil, "b": false}},
		{"x.yaml", "a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 0\nd: *a\n",
			m{"a": m{"x": int64(1), "y": int64(1)}, "b": m{"y": int64(2), "z": int64(2)}, "c": m{"x": int64(0), "y": int64(1), "z": int64(2)}, "d": m{"x": int64(1), "y": int64(1)}}},
		{"x.ini", "", m{}},
		{"x.ini", "[empty]\n[s]\nk = v\n", m{"empty": m{}, "s": m{"k": "v"}}},
		{"x.CONF", "a: 1", m{"a": int64(1)}},
		// EDN, the map subset Trapperkeeper configurations use.
		{"x.edn", `{:webserver {:host "0.0.0.0", :port 8140}
 ; a comment
 :web-router-service {"puppetlabs.analytics.service/analytics-service" "/analytics"}
 :list [1 -2.5 +3 "s" true false nil :kw sym (4) #{5}] #_ :skipped #_ 1 :e {}}`,
			m{"webserver": m{"host": "0.0.0.0", "port": int64(8140)},
				"web-router-service": m{"puppetlabs.analytics.service/analytics-service": "/analytics"},
				"list":               []any{int64(1), -2.5, int64(3), "s", true, false, nil, "kw", "sym", []any{int64(4)}, []any{int64(5)}},
				"e":                  m{}}},
		{"x.edn", "{}", m{}},
		// Java properties, read as Typesafe Config reads them.
		{"x.properties", "# comment\n! comment\nwebserver.port=8140\nwebserver.host : 0.0.0.0\nname value with spaces\n" +
			"long = a\\\n    b\nesc = tab\\there \\u00e9\nkey\\ with\\=sep = v\nrepeat = 1\nrepeat = 2\nboth = 1\nboth.x = 2\n",
			m{"webserver": m{"port": "8140", "host": "0.0.0.0"}, "name": "value with spaces", "long": "ab",
				"esc": "tab\there é", "key with=sep": "v", "repeat": "2", "both": m{"x": "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.name, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Map(); !reflect.DeepEqual(got, map[string]any(tt.want)) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data string
		line       int
	}{
		{"x.txt", "a: 1", 0},
		{"noext", "a: 1", 0},
		{"x.yaml", "a:\n  <<: 5\n", 2},
		{"x.yaml", "? [a]\n: 1\n", 1},
		{"x.json", `{"a": 1e400}`, 1},
		{"x.json", "", 1},
		{"x.edn", "[1 2]", 1},
		{"x.edn", "{:a 1\n :a 2}", 2},
		{"x.edn", "{:a #inst \"2020-01-01\"}", 1},
		{"x.edn", "{:a \\c}", 1},
		{"x.edn", "{:a 1/2}", 1},
		{"x.edn", "{:a [1 2}", 1},
		{"x.edn", "{:a}", 1},
		{"x.edn", "{1 2}", 1},
		{"x.edn", "{:a 1} {:b 2}", 1},
		{"x.edn", "{:a #_}", 1},
		{"x.edn", "{:a " + strings.Repeat("[", maxDepth+2), 1},
		{"x.properties", "a = \\u12", 1},
		{"x.properties", "a..b = 1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.name, []byte(tt.data))
			var e *Error
			if !errors.As(err, &e) || e.File != tt.name || e.Line != tt.line {
				t.Fatalf("got %v, want an *Error at %s line %d", err, tt.name, tt.line)
			}
		})
	}
}

func TestNilConfig(t *testing.T) {
	var c *Config
	if _, ok := c.Get("a"); ok {
		t.Error("Get on nil Config reported ok")
	}
	if len(c.Map()) != 0 || c.Keys() != nil {
		t.Error("nil Config is not empty")
	}
}
