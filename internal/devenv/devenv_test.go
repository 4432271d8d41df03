package devenv_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
)

func TestClientConfigRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), devenv.ClientConfigFile)
	want := analytics.Config{URL: "https://127.0.0.1:14433/analytics",
		SSL: &analytics.SSLOpts{CertFile: "/c.pem", KeyFile: "/k.pem", CAFile: "/ca.pem"}}
	if err := devenv.WriteClientConfig(path, want, "port 14433 was taken"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	for _, key := range []string{`"url"`, `"ssl-opts"`, `"ssl-cert"`, `"ssl-key"`, `"ssl-ca-cert"`, `"note": "port 14433 was taken"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("%s lacks %s: %s", path, key, data)
		}
	}
	got, err := devenv.ReadClientConfig(path)
	if err != nil || got.URL != want.URL || *got.SSL != *want.SSL {
		t.Errorf("read back %+v %v", got, err)
	}
	if _, err := devenv.ReadClientConfig(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDefaultPaths(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/tmp/cachehome")
	t.Setenv("HOME", "/tmp/home")
	if got := devenv.DefaultDir(); filepath.Base(got) != devenv.DirName {
		t.Errorf("DefaultDir %s", got)
	}
	if got := devenv.ClientConfigPath(); got != filepath.Join(devenv.DefaultDir(), devenv.ClientConfigFile) {
		t.Errorf("ClientConfigPath %s", got)
	}
}

// TestNoCacheDirNoDefault: without a user cache directory there is no
// default (never a fixed name under the shared temporary directory).
func TestNoCacheDirNoDefault(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	if got := devenv.DefaultDir(); got != "" {
		t.Errorf("DefaultDir %q, want none", got)
	}
	if got := devenv.ClientConfigPath(); got != "" {
		t.Errorf("ClientConfigPath %q, want none", got)
	}
}

// A damaged client.json is named, and what is wrong is said in JSON's
// terms, not Go's.
func TestClientConfigDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), devenv.ClientConfigFile)
	for body, want := range map[string]string{
		`{"url": 5}`:                            `"url" must be a string, not a number`,
		`{"url":"u","ssl-opts":{"ssl-cert":1}}`: `"ssl-opts.ssl-cert" must be a string, not a number`,
		`{"url":"u","extra":1}`:                 `unknown field "extra"`,
	} {
		os.WriteFile(path, []byte(body), 0o600)
		_, err := devenv.ReadClientConfig(path)
		if err == nil || err.Error() != path+": "+want {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
