package tkconfig

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSuggest(t *testing.T) {
	keys := []string{"host", "port", "ssl-host", "ssl-port", "ssl-cert", "ssl-key", "ssl-ca-cert", "data-directory"}
	for name, want := range map[string]string{
		"ssl-prot":       "ssl-port",       // swapped letters
		"data-directroy": "data-directory", // swapped letters
		"SSL_PORT":       "ssl-port",       // case and underscore
		"sslport":        "ssl-port",       // dropped letter
		"ssl-crt":        "ssl-cert",
		"hots":           "host",
		"ssl-port":       "", // itself
		"max-threads":    "", // nothing near
		"pot":            "port",
		"cert":           "", // too far from ssl-cert for a short word
	} {
		got, ok := Suggest(name, keys)
		if got != want || ok != (want != "") {
			t.Errorf("Suggest(%q) = %q %v, want %q", name, got, ok, want)
		}
	}
}

func TestUnknownKeys(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "b.conf")
	writeFile(t, a, "webserver: {\n  ssl-port: 1\n  ssl-prot: 2\n}\n")
	writeFile(t, b, "webserver.zzz-unrelated: 3\nwebserver.ssl-crt: x\nother: {}\n")
	c, err := LoadFiles(a, b)
	if err != nil {
		t.Fatal(err)
	}
	got := c.UnknownKeys([]string{"ssl-port", "ssl-cert"}, "webserver")
	want := []string{
		a + ":3: key webserver.ssl-prot: unknown setting; did you mean ssl-port?",
		b + ":1: key webserver.zzz-unrelated: unknown setting",
		b + ":2: key webserver.ssl-crt: unknown setting; did you mean ssl-cert?",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %d errors", got, len(want))
	}
	for i, e := range got {
		if e.Error() != want[i] || !errors.Is(e, ErrUnknownKey) {
			t.Errorf("error %d: %q, want %q", i, e, want[i])
		}
	}
	sub, _ := c.Sub("webserver")
	if errs := sub.UnknownKeys([]string{"ssl-port", "ssl-cert", "ssl-crt", "ssl-prot"}); len(errs) != 1 || errs[0].Key != "webserver.zzz-unrelated" {
		t.Errorf("in a Sub: %v, want the key named from the root", errs)
	}
	if errs := c.UnknownKeys(nil, "nothing"); errs != nil {
		t.Errorf("missing section: %v", errs)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
