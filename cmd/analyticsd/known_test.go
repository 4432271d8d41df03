package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tkconfig"
)

// TestConfigMistakes: a misspelt or unknown key is reported with its file,
// line and the setting it most likely misspells: an error where the JVM
// would refuse the file too (Jetty's webserver section) or the section is
// ours alone, a warning where the JVM would accept it. A duration needs a
// unit. FILE in want stands for the file.
func TestConfigMistakes(t *testing.T) {
	const listen = "webserver.port: 0\n"
	const data = "analytics.data-directory: /tmp/x\n"
	cases := map[string]struct {
		conf      string
		err, warn string // "" for none
	}{
		"webserver typo": {data + "webserver {\n  ssl-prot: 8140\n  port: 0\n}\n",
			"FILE:3: key webserver.ssl-prot: unknown setting; did you mean ssl-port?", ""},
		"webserver unknown": {data + listen + "webserver.frobnicate: 1\n",
			"FILE:3: key webserver.frobnicate: unknown setting", ""},
		"jetty setting": {data + listen + "webserver { max-threads: 100, ssl-protocols: [TLSv1.3] }\n", "", ""},
		"multi-server":  {data + listen + "webserver.other { port: 0 }\n", "", ""},
		"analytics typo": {listen + "analytics {\n  data-directroy: /tmp/x\n}\n",
			"FILE: key analytics.data-directory: is required (or analytics.database): where the entries are kept (FILE:3 sets analytics.data-directroy: misspelt?)",
			`error="FILE:3: key analytics.data-directroy: unknown setting; did you mean data-directory?"`},
		"analytics unknown": {data + listen + "analytics.body-timout: 10s\n", "",
			`error="FILE:3: key analytics.body-timout: unknown setting; did you mean body-timeout?"`},
		"database typo": {data + listen + "analytics.database { subname: \"//h/db\", usrname: u }\n",
			"FILE:3: key analytics.database.usrname: unknown setting; did you mean username?", ""},
		"bare duration": {data + listen + "analytics.body-timeout: 10\n",
			`FILE:3: key analytics.body-timeout: 10 has no unit: write e.g. 10s, 500ms`, ""},
		"bare duration string": {data + listen + "analytics.certificate-check-interval: \"30\"\n",
			`FILE:3: key analytics.certificate-check-interval: 30 has no unit: write e.g. 10s, 500ms`, ""},
		"section typo": {data + listen + "authorisation: { version: 1, rules: [] }\n", "",
			`error="FILE:3: key authorisation: unknown section; did you mean authorization?"`},
		"section typo fails too": {data + "webservr { port: 0 }\n",
			"FILE: key webserver.ssl-port: is required",
			`error="FILE:2: key webservr: unknown section; did you mean webserver?"`},
		"other services' sections": {data + listen + "jruby-puppet { max-active-instances: 1 }\nhttp-client {}\nmetrics {}\n", "", ""},
	}
	dir := t.TempDir()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, tc.conf)
			var logs bytes.Buffer
			_, err := loadConfig(path, slog.New(slog.NewTextHandler(&logs, nil)))
			switch want := strings.ReplaceAll(tc.err, "FILE", path); {
			case want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("error %v\nwant %q", err, want)
			}
			switch want := strings.ReplaceAll(tc.warn, "FILE", path); {
			case want == "" && logs.Len() > 0:
				t.Errorf("logged %s, want nothing", logs.String())
			case want != "" && (strings.Count(logs.String(), "\n") != 1 || !strings.Contains(logs.String(), "level=WARN") ||
				!strings.Contains(logs.String(), want)):
				t.Errorf("logged %q\nwant one WARN line with %q", logs.String(), want)
			}
		})
	}
}

// TestUnknownKeyIsErrUnknownKey: every unknown key of a strict section is
// reported at once, each as a *tkconfig.Error the caller can inspect.
func TestUnknownKeyIsErrUnknownKey(t *testing.T) {
	_, err := loadConfig(writeTemp(t, "analytics.data-directory: /x\nwebserver { port: 0, ssl-prot: 1, ssl-crt: c }\n"), nil)
	var ke *keyError
	if !errors.Is(err, tkconfig.ErrUnknownKey) || !errors.As(err, &ke) || ke.Key != "webserver.ssl-crt" ||
		!strings.Contains(err.Error(), "webserver.ssl-prot") {
		t.Errorf("error %v, want both keys, each an ErrUnknownKey", err)
	}
}

// TestStartErrorsNameSettings: a TLS file the service cannot use is
// reported as the setting the operator wrote, with its file and line and
// the path once, never as a server.Config field; and the failed start
// leaves no data directory behind.
func TestStartErrorsNameSettings(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for name, tc := range map[string]struct{ cert, key, ca, want string }{
		"cert missing": {missing, b.ServerKey, b.CACert, "FILE:5: key webserver.ssl-cert: " + missing + ": does not exist"},
		"key missing":  {b.ServerCert, missing, b.CACert, "FILE:6: key webserver.ssl-key: " + missing + ": does not exist"},
		"ca missing":   {b.ServerCert, b.ServerKey, missing, "FILE:7: key webserver.ssl-ca-cert: " + missing + ": does not exist"},
		"ca not PEM":   {b.ServerCert, b.ServerKey, filepath.Join(dir, "ca-missing.conf"), "FILE:7: key webserver.ssl-ca-cert: "},
	} {
		t.Run(name, func(t *testing.T) {
			data := filepath.Join(dir, "new-"+strings.ReplaceAll(name, " ", "-"), "data")
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, "analytics.data-directory: "+data+"\nwebserver {\n  ssl-host: 127.0.0.1\n  ssl-port: 0\n"+
				"  ssl-cert: "+tc.cert+"\n  ssl-key: "+tc.key+"\n  ssl-ca-cert: "+tc.ca+"\n}\n")
			srv, _, err := startConfigured(context.Background(), path, nil)
			if err == nil {
				_ = srv.Close(context.Background())
				t.Fatal("started")
			}
			msg := err.Error()
			want := strings.ReplaceAll(tc.want, "FILE", path)
			if !strings.HasPrefix(msg, want) || strings.Contains(msg, "TLS.") || strings.Count(msg, path) != 1 {
				t.Errorf("error %q\nwant it to start %q, with the config file once and no Go field", msg, want)
			}
			if tc.ca == missing && strings.Count(msg, missing) != 1 {
				t.Errorf("error %q names %s more than once", msg, missing)
			}
			if _, err := os.Stat(filepath.Dir(data)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the failed start left %s behind: %v", filepath.Dir(data), err)
			}
		})
	}
}

// TestFailedStartKeepsExistingDirectory: an existing data directory, and
// what it holds, are left alone by a failed start.
func TestFailedStartKeepsExistingDirectory(t *testing.T) {
	data := t.TempDir()
	keep := filepath.Join(data, "keep")
	writeConf(t, keep, "x")
	path := writeTemp(t, "analytics.data-directory: "+data+"\nwebserver { ssl-port: 0, ssl-cert: /nonexistent/c, ssl-key: /nonexistent/k, ssl-ca-cert: /nonexistent/ca }\n")
	if _, _, err := startConfigured(context.Background(), path, nil); err == nil {
		t.Fatal("started")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("existing data directory changed: %v", err)
	}
}

// TestStartErrorsNameDataSettings: a whitelist file or data directory the
// service cannot use is named by its setting, file and line, with the
// path once and no package prefix.
func TestStartErrorsNameDataSettings(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	ws := "webserver { ssl-host: 127.0.0.1, ssl-port: 0, ssl-cert: " + b.ServerCert + ", ssl-key: " + b.ServerKey +
		", ssl-ca-cert: " + b.CACert + " }\n"
	aFile := filepath.Join(dir, "a-file")
	writeConf(t, aFile, "x")
	for name, tc := range map[string]struct{ analytics, want string }{
		"whitelist missing": {"analytics { data-directory: " + filepath.Join(dir, "d1") + ", whitelist-file: " + filepath.Join(dir, "wl.json") + " }",
			"FILE:1: key analytics.whitelist-file: " + filepath.Join(dir, "wl.json") + ": cannot be read"},
		"data directory under a file": {"analytics.data-directory: " + filepath.Join(aFile, "data"),
			"FILE:1: key analytics.data-directory: mkdir " + aFile + ": not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, tc.analytics+"\n"+ws)
			srv, _, err := startConfigured(context.Background(), path, nil)
			if err == nil {
				_ = srv.Close(context.Background())
				t.Fatal("started")
			}
			if want := strings.ReplaceAll(tc.want, "FILE", path); err.Error() != want {
				t.Errorf("error %q\nwant  %q", err, want)
			}
		})
	}
}
