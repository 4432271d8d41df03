package tkconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const getterSrc = `
s: hello
n: 8140
ns: "8140"
f: 2.0
frac: 2.5
b: true
by: "yes"
boff: off
nul: null
arr: [1, 2]
obj { x: 1 }
d1: 500
d2: 5s
d3: "30 seconds"
d4: 1h30m
d5: 1.5 hours
d6: 250ms
d7: 2 d
bad: soon
`

func TestGetters(t *testing.T) {
	c, err := parseConf(t, getterSrc)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("String", func(t *testing.T) {
		for k, want := range map[string]string{"s": "hello", "n": "8140", "ns": "8140", "f": "2", "frac": "2.5", "b": "true"} {
			if got, ok, err := c.String(k); got != want || !ok || err != nil {
				t.Errorf("String(%s) = %q %v %v, want %q", k, got, ok, err, want)
			}
		}
	})
	t.Run("Int", func(t *testing.T) {
		for k, want := range map[string]int64{"n": 8140, "ns": 8140, "f": 2} {
			if got, ok, err := c.Int(k); got != want || !ok || err != nil {
				t.Errorf("Int(%s) = %d %v %v, want %d", k, got, ok, err, want)
			}
		}
	})
	t.Run("Bool", func(t *testing.T) {
		for k, want := range map[string]bool{"b": true, "by": true, "boff": false} {
			if got, ok, err := c.Bool(k); got != want || !ok || err != nil {
				t.Errorf("Bool(%s) = %v %v %v, want %v", k, got, ok, err, want)
			}
		}
	})
	t.Run("Duration", func(t *testing.T) {
		for k, want := range map[string]time.Duration{
			"d2": 5 * time.Second, "d3": 30 * time.Second, "d4": 90 * time.Minute,
			"d5": 90 * time.Minute, "d6": 250 * time.Millisecond, "d7": 48 * time.Hour,
		} {
			if got, ok, err := c.Duration(k); got != want || !ok || err != nil {
				t.Errorf("Duration(%s) = %v %v %v, want %v", k, got, ok, err, want)
			}
		}
	})
	t.Run("missing and null", func(t *testing.T) {
		for _, k := range []string{"nope", "nul"} {
			if _, ok, err := c.String(k); ok || err != nil {
				t.Errorf("String(%s) = %v %v, want not set", k, ok, err)
			}
			if _, ok, err := c.Int(k); ok || err != nil {
				t.Errorf("Int(%s) = %v %v, want not set", k, ok, err)
			}
		}
		if v, ok := c.Get("nul"); !ok || v != nil {
			t.Errorf("Get(nul) = %v %v, want nil true", v, ok)
		}
		if _, ok := c.Get("s", "deeper"); ok {
			t.Error("Get below a string reported ok")
		}
		if f := c.File("nope"); f != "" {
			t.Errorf("File(nope) = %q", f)
		}
	})
	t.Run("type errors name key and file", func(t *testing.T) {
		checks := []struct {
			name string
			get  func() error
			key  string
			line int
			text string
		}{
			{"object as string", func() error { _, _, err := c.String("obj"); return err }, "obj", 12, "is an object"},
			{"array as int", func() error { _, _, err := c.Int("arr"); return err }, "arr", 11, "is an array"},
			{"text as int", func() error { _, _, err := c.Int("s"); return err }, "s", 2, `"hello" is not an integer`},
			{"fraction as int", func() error { _, _, err := c.Int("frac"); return err }, "frac", 6, "not an integer"},
			{"number as bool", func() error { _, _, err := c.Bool("n"); return err }, "n", 3, "not a boolean"},
			{"text as duration", func() error { _, _, err := c.Duration("bad"); return err }, "bad", 20, "not a duration"},
			{"bool as duration", func() error { _, _, err := c.Duration("b"); return err }, "b", 7, "not a duration"},
		}
		for _, ch := range checks {
			err := ch.get()
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrType) {
				t.Errorf("%s: got %v, want a type *Error", ch.name, err)
				continue
			}
			if e.Key != ch.key || e.Line != ch.line || filepath.Base(e.File) != "test.conf" || !strings.Contains(err.Error(), ch.text) {
				t.Errorf("%s: %v (key %q line %d), want key %q line %d text %q", ch.name, err, e.Key, e.Line, ch.key, ch.line, ch.text)
			}
		}
	})
	t.Run("Sub errors name the full key", func(t *testing.T) {
		c, err := parseConf(t, "a { b { c: [1] } }")
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := c.Sub("a")
		_, _, err = sub.String("b", "c")
		var e *Error
		if !errors.As(err, &e) || e.Key != "a.b.c" {
			t.Errorf("got %v, want an error for key a.b.c", err)
		}
	})
}

func TestConfigIsImmutable(t *testing.T) {
	c, err := parseConf(t, "a { b: [1, {c: 2}] }")
	if err != nil {
		t.Fatal(err)
	}
	mp := c.Map()
	mp["a"].(map[string]any)["b"].([]any)[1].(map[string]any)["c"] = 99
	v, _ := c.Get("a", "b")
	v.([]any)[0] = "changed"
	if got, _ := c.Get("a", "b"); got.([]any)[0] != int64(1) || got.([]any)[1].(map[string]any)["c"] != int64(2) {
		t.Errorf("the tree changed through a copy: %v", got)
	}
}

// TestDurationBareNumber: a number without a unit is refused, naming the
// accepted forms, where Typesafe Config would read it as milliseconds
// (body-timeout: 10 meant as seconds would be 10ms).
func TestDurationBareNumber(t *testing.T) {
	c, err := parseConf(t, "int: 10\nfloat: 1.5\nstr: \"10\"\nneg: -3\nzero: 0\nunit: 10 s")
	if err != nil {
		t.Fatal(err)
	}
	for key, num := range map[string]string{"int": "10", "float": "1.5", "str": "10", "neg": "-3", "zero": "0"} {
		_, set, err := c.Duration(key)
		want := "key " + key + ": " + num + " has no unit: write e.g. 10s, 500ms"
		if !set || !errors.Is(err, ErrType) || !strings.Contains(err.Error(), want) {
			t.Errorf("Duration(%s) = %v, want ErrType with %q", key, err, want)
		}
	}
	if d, _, err := c.Duration("unit"); d != 10*time.Second || err != nil {
		t.Errorf("Duration(unit) = %v %v, want 10s", d, err)
	}
}

func TestDurationOverflow(t *testing.T) {
	c, err := parseConf(t, "a: 9223372036854775807 days\nb: 9223372036854775807 ms")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b"} {
		if d, _, err := c.Duration(k); err == nil {
			t.Errorf("Duration(%s) = %v, want an out-of-range error", k, d)
		}
	}
}

// TestElementOrigins names the line of each element of a literal array,
// and none for an array built by concatenation.
func TestElementOrigins(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "auth.conf")
	text := "authorization: {\n  rules: [\n    {name: a},\n\n    {\n      name: b\n    }, {name: c}\n  ]\n}\njoined: [1] [2]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	file, lines := c.ElementOrigins("authorization", "rules")
	if file != path || !slices.Equal(lines, []int{3, 5, 7}) {
		t.Errorf("ElementOrigins = %s %v, want %s [3 5 7]", file, lines, path)
	}
	if _, lines := c.ElementOrigins("joined"); lines != nil {
		t.Errorf("concatenated array: %v", lines)
	}
	if _, lines := c.ElementOrigins("authorization"); lines != nil {
		t.Errorf("object: %v", lines)
	}
}
