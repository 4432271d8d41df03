package analytics_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// writeFiles writes name → content under dir, creating subdirectories, and
// returns dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadConfigFormats(t *testing.T) {
	hocon := `# puppetserver's analytics settings
analytics: {
    url: "https://localhost:8140/analytics"
    data-directory: /var/lib/analytics  // the service's key: ignored
    ssl-opts: {
        ssl-cert: certs/myhost.pem
        ssl-key: private_keys/myhost.pem
        ssl-ca-cert: /etc/puppetlabs/puppet/ssl/certs/ca.pem
    }
}
`
	jsonText := `{"analytics": {"url": "https://localhost:8140/analytics",
  "ssl-opts": {"ssl-cert": "certs/myhost.pem", "ssl-key": "private_keys/myhost.pem",
               "ssl-ca-cert": "/etc/puppetlabs/puppet/ssl/certs/ca.pem"}}}`
	for name, content := range map[string]string{"analytics.conf": hocon, "analytics.json": jsonText} {
		t.Run(name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), map[string]string{name: content})
			cfg, err := analytics.LoadConfig(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			want := analytics.Config{URL: "https://localhost:8140/analytics", SSL: &analytics.SSLOpts{
				CertFile: filepath.Join(dir, "certs", "myhost.pem"),
				KeyFile:  filepath.Join(dir, "private_keys", "myhost.pem"),
				CAFile:   "/etc/puppetlabs/puppet/ssl/certs/ca.pem",
			}}
			assertConfig(t, cfg, want)
		})
	}
}

func assertConfig(t *testing.T, got, want analytics.Config) {
	t.Helper()
	if got.URL != want.URL {
		t.Errorf("URL = %q, want %q", got.URL, want.URL)
	}
	if (got.SSL == nil) != (want.SSL == nil) {
		t.Fatalf("SSL = %+v, want %+v", got.SSL, want.SSL)
	}
	if want.SSL != nil && *got.SSL != *want.SSL {
		t.Errorf("SSL = %+v, want %+v", *got.SSL, *want.SSL)
	}
}

func TestLoadConfigPlainHTTPNeedsNoSSL(t *testing.T) {
	dir := writeFiles(t, t.TempDir(), map[string]string{"a.conf": "analytics.url: \"http://127.0.0.1:8080/analytics\"\n"})
	cfg, err := analytics.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertConfig(t, cfg, analytics.Config{URL: "http://127.0.0.1:8080/analytics"})
}

// A conf.d directory whose files each set part of the section: objects
// merge across files and each relative path resolves against its own file.
func TestLoadConfigConfDir(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"conf.d/webserver.conf":     "webserver: { ssl-port: 8140 }\n",
		"conf.d/analytics.conf":     "analytics.url: \"https://puppet:8140/analytics\"\n",
		"conf.d/analytics-ssl.json": `{"analytics": {"ssl-opts": {"ssl-cert": "c.pem", "ssl-key": "k.pem"}}}`,
		"conf.d/README.txt":         "not a config file: skipped\n",
		"extra/ca.conf":             "analytics.ssl-opts.ssl-ca-cert: ../ca/ca.pem\n",
	})
	confd, extra := filepath.Join(root, "conf.d"), filepath.Join(root, "extra")
	cfg, err := analytics.LoadConfig(confd + "," + extra)
	if err != nil {
		t.Fatal(err)
	}
	assertConfig(t, cfg, analytics.Config{URL: "https://puppet:8140/analytics", SSL: &analytics.SSLOpts{
		CertFile: filepath.Join(confd, "c.pem"),
		KeyFile:  filepath.Join(confd, "k.pem"),
		CAFile:   filepath.Join(root, "ca", "ca.pem"),
	}})
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // substrings of the error
	}{
		{"duplicate key", map[string]string{
			"a.conf": "analytics.url: \"https://a:8140/analytics\"\n",
			"b.conf": "analytics: { url: \"https://b:8140/analytics\" }\n",
		}, []string{"Duplicate configuration entry", "a.conf", "b.conf"}},
		{"missing section", map[string]string{
			"webserver.conf": "webserver.ssl-port: 8140\n",
		}, []string{"analytics", "section is not set", "webserver.conf"}},
		{"missing keys", map[string]string{
			"a.conf": "analytics.ssl-opts.ssl-cert: c.pem\n",
			"b.conf": "analytics.data-directory: /tmp\n",
		}, []string{"analytics.url, analytics.ssl-opts.ssl-key, analytics.ssl-opts.ssl-ca-cert", "not set", "a.conf, ", "b.conf"}},
		{"url not a string", map[string]string{
			"a.conf": "\nanalytics.url: { host: puppet }\n",
		}, []string{"analytics.url", "a.conf:2", "not a string"}},
		{"ssl-opts not an object", map[string]string{
			"a.conf": "analytics { url: \"https://a/analytics\", ssl-opts: yes }\n",
		}, []string{"analytics.ssl-opts", "a.conf:1", "not an object"}},
		{"syntax error", map[string]string{
			"a.conf": "analytics { url: \n",
		}, []string{"cannot be loaded", "a.conf"}},
		{"empty directory", map[string]string{}, []string{"no configuration files were found"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), tt.files)
			_, err := analytics.LoadConfig(dir)
			assertConfigError(t, err, tt.want...)
		})
	}
}

func TestLoadConfigMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.conf")
	_, err := analytics.LoadConfig(missing)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Fatalf("LoadConfig(%s) = %v, want a not-exist error naming it", missing, err)
	}
}

// A configuration with relative certificate paths drives a real client
// over mutual TLS.
func TestLoadConfigReportsOverMutualTLS(t *testing.T) {
	srv := analyticstest.NewServer(t)
	sc := srv.Config()
	dir := t.TempDir()
	for name, src := range map[string]string{"client.pem": sc.SSL.CertFile, "client.key": sc.SSL.KeyFile, "ca.pem": sc.SSL.CAFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{filepath.Join("ssl", name): string(data)})
	}
	writeFiles(t, dir, map[string]string{"conf.d/analytics.conf": "analytics {\n  url: \"" + sc.URL +
		"\"\n  ssl-opts { ssl-cert: ../ssl/client.pem, ssl-key: ../ssl/client.key, ssl-ca-cert: ../ssl/ca.pem }\n}\n"})

	cfg, err := analytics.LoadConfig(filepath.Join(dir, "conf.d"))
	if err != nil {
		t.Fatal(err)
	}
	client, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.StoreEvent(context.Background(), analytics.Event{Name: "conf.loaded"}); err != nil {
		t.Fatal(err)
	}
	if ev := srv.Events(); len(ev) != 1 || ev[0].Event != "conf.loaded" {
		t.Fatalf("stored events = %+v, want one conf.loaded", ev)
	}
}

// TestLoadConfigMistakes: a misspelt client setting is reported with its
// file, line and the setting it most likely means, and no message names
// the same file twice. FILE stands for the configuration file.
func TestLoadConfigMistakes(t *testing.T) {
	const url = "analytics.url: \"https://puppet:8140/analytics\"\n"
	const ssl = "analytics.ssl-opts { ssl-cert: c.pem, ssl-key: k.pem, ssl-ca-cert: ca.pem }\n"
	for name, tc := range map[string]struct{ conf, want string }{
		"url": {"analytics {\n  urll: \"https://puppet:8140/analytics\"\n}\n" + ssl,
			"analytics: config analytics.urll (FILE:2): unknown setting; did you mean url?"},
		"ssl-opts": {url + "analytics.ssl-opt { ssl-cert: c.pem, ssl-key: k.pem, ssl-ca-cert: ca.pem }\n",
			"analytics: config analytics.ssl-opt (FILE:2): unknown setting; did you mean ssl-opts?"},
		"ssl-cert": {url + "analytics.ssl-opts {\n  ssl-crt: c.pem\n  ssl-key: k.pem\n  ssl-ca-cert: ca.pem\n}\n",
			"analytics: config analytics.ssl-opts.ssl-crt (FILE:3): unknown setting; did you mean ssl-cert?"},
		"missing in one file": {"analytics.data-directory: /x\n",
			"analytics: config analytics.url (FILE): not set"},
		"syntax error": {"analytics { url: \n",
			"analytics: config analytics: cannot be loaded: FILE:1:18: key analytics.url: missing value"},
		"service settings are not the client's": {url + ssl + "analytics { data-directory: /x, public-url: \"https://p/a\", database.subname: \"//h/d\" }\n", ""},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "analytics.conf")
			writeFiles(t, filepath.Dir(path), map[string]string{"analytics.conf": tc.conf})
			_, err := analytics.LoadConfig(path)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "FILE", path)
			var ce *analytics.ConfigError
			if !errors.As(err, &ce) || !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), path) != 1 {
				t.Errorf("error %v\nwant a *ConfigError starting %q, naming the file once", err, want)
			}
		})
	}
}
