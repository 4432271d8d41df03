package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestDevService(t *testing.T) {
	dir := t.TempDir()
	s := startRun(t, []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, false)
	if !strings.HasPrefix(s.url, "https://127.0.0.1:") {
		t.Fatalf("url %s", s.url)
	}
	cfg, err := devenv.ReadClientConfig(filepath.Join(dir, devenv.ClientConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.URL != s.url || cfg.SSL == nil || !strings.HasPrefix(cfg.SSL.CAFile, dir) {
		t.Fatalf("client config %+v", cfg)
	}
	c := devClient(t, dir)
	mustStatus(t, c, "POST", s.url+"/commands/event", `{"event":"dev"}`, 200)
	if got := mustStatus(t, c, "GET", s.url+"/collections/events", "", 200); !strings.Contains(got, `"dev"`) {
		t.Errorf("events %s", got)
	}
	s.stop(t)

	// A second start keeps the CA, so existing client settings still work.
	caBefore, _ := os.ReadFile(cfg.SSL.CAFile)
	again := startRun(t, []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, false)
	caAfter, _ := os.ReadFile(cfg.SSL.CAFile)
	if !bytes.Equal(caBefore, caAfter) {
		t.Error("the CA was regenerated")
	}
	if got := mustStatus(t, devClient(t, dir), "GET", again.url+"/collections/events", "", 200); !strings.Contains(got, `"dev"`) {
		t.Errorf("events after restart %s", got)
	}
}

// TestDevDefaultPortFallback holds the default port, so the service must
// pick another, and say which in its first line and in client.json.
func TestDevDefaultPortFallback(t *testing.T) {
	if ln, err := net.Listen("tcp", devenv.DefaultAddr); err == nil {
		defer ln.Close()
	} // else someone else holds it, which serves the test as well
	dir := t.TempDir()
	s := startRun(t, []string{"--data-dir", dir}, false)
	if strings.Contains(s.url, ":14433/") || !strings.HasPrefix(s.url, "https://127.0.0.1:") {
		t.Errorf("url %s", s.url)
	}
	u, _ := url.Parse(s.url)
	note := "port 14433 was taken; this service listens on port " + u.Port()
	if want := "analytics development service at " + s.url + " (" + note + ")"; s.first != want {
		t.Errorf("first line %q, want %q", s.first, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, devenv.ClientConfigFile))
	if err != nil || !strings.Contains(string(data), `"note": "`+note+`"`) || !strings.Contains(string(data), s.url) {
		t.Errorf("client.json %s %v", data, err)
	}
	mustStatus(t, devClient(t, dir), "GET", s.url, "", 200)
}

func TestConfiguredService(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "version"), []byte("7.1.0\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "wl.json"), []byte(`{"ok":{"datatype":"event"}}`), 0o600)
	confd := filepath.Join(dir, "conf.d")
	os.Mkdir(confd, 0o700)
	writeConf(t, filepath.Join(confd, "webserver.conf"), `webserver: {
    ssl-host: 127.0.0.1
    ssl-port: 0
    ssl-cert: `+b.ServerCert+`
    ssl-key: `+b.ServerKey+`
    ssl-ca-cert: `+b.CACert+`
    client-auth: need
}
web-router-service: {
    "puppetlabs.analytics.service/analytics-service": "/telemetry"
}`)
	writeConf(t, filepath.Join(confd, "analytics.conf"), `analytics: {
    data-directory: `+filepath.Join(dir, "data")+`
    whitelist-file: `+filepath.Join(dir, "wl.json")+`
    max-body-bytes: 100
}
product: {
    name: { artifact-id: puppetserver, group-id: puppetlabs.packages }
    version-path: `+filepath.Join(dir, "version")+`
    update-server-url: "http://127.0.0.1:1"
}`)
	s := startRun(t, []string{"--config", confd, "--log-level", "info"}, true)
	if !strings.HasSuffix(s.url, "/telemetry") {
		t.Fatalf("url %s", s.url)
	}
	tc, _ := b.ClientTLSConfig()
	c := newClient(t, tc)
	mustStatus(t, c, "POST", s.url+"/commands/event", `{"event":"ok"}`, 200)
	mustStatus(t, c, "POST", s.url+"/commands/event", `{"event":"not-listed"}`, 422)
	mustStatus(t, c, "POST", s.url+"/commands/event", `{"event":"`+strings.Repeat("x", 100)+`"}`, 413)
	if _, err := os.Stat(filepath.Join(dir, "data", "analytics.db")); err != nil {
		t.Errorf("store file: %v", err)
	}
}

func writeConf(t testing.TB, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ conf, want string }{
		"no data directory": {`webserver.port: 0`, "analytics.data-directory: is required"},
		"no listener":       {`analytics.data-directory: /tmp/x`, "webserver.ssl-port: is required"},
		"bad client-auth": {`analytics.data-directory: /tmp/x
webserver: { ssl-port: 0, ssl-cert: c, ssl-key: k, ssl-ca-cert: ca, client-auth: maybe }`, `webserver.client-auth: "maybe" is not want`},
		"missing ssl-key": {`analytics.data-directory: /tmp/x
webserver: { ssl-port: 0, ssl-cert: c }`, "webserver.ssl-key: is required"},
		"bad port": {`analytics.data-directory: /tmp/x
webserver.port: eighty`, "webserver.port"},
		"version-path": {`analytics.data-directory: /tmp/x
webserver.port: 0
product.version-path: /nonexistent/version`, "product.version-path: cannot read /nonexistent/version"},
		"route": {`analytics.data-directory: /tmp/x
webserver.port: 0
web-router-service."puppetlabs.analytics.service/analytics-service": analytics`, `does not start with /`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, tc.conf)
			_, err := loadConfig(path, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and %q", err, path, tc.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--bogus"}, &out, &errb); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
	errb.Reset()
	if code := run(context.Background(), []string{"--config", "/nonexistent/conf.d"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "/nonexistent/conf.d") {
		t.Errorf("missing config: exit %d, %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"--config", "x", "--data-dir", "y"}, &out, &errb); code != 2 {
		t.Errorf("--config with --data-dir: exit %d", code)
	}
	for _, h := range []string{"-h", "--help"} {
		out.Reset()
		if code := run(context.Background(), []string{h}, &out, &errb); code != 0 {
			t.Errorf("%s: exit %d", h, code)
		}
		// Help on stdout with a usage line, an example, and the advice to
		// run it in its own terminal rather than with &.
		for _, want := range []string{"Usage: analyticsd [--config PATH]", "Examples:\n  analyticsd ", "own terminal", "-log-level", "Exit status"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s does not mention %q:\n%s", h, want, out.String())
			}
		}
	}
	var ke *keyError
	_, err := loadConfig(writeTemp(t, "analytics.data-directory: /x\n"), nil)
	if !errors.As(err, &ke) || ke.Key != "webserver.ssl-port" {
		t.Errorf("keyError: %v", err)
	}
}

func writeTemp(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "c.conf")
	writeConf(t, path, text)
	return path
}

// TestUpdateServerSetting: the whitelist comes from the update server only
// when product.update-server-url is configured, as with the JVM service;
// check-ins still have the JVM's default URL.
func TestUpdateServerSetting(t *testing.T) {
	base := "analytics.data-directory: /x\nwebserver.port: 0\n"
	cfg, err := loadConfig(writeTemp(t, base), nil)
	if err != nil || cfg.FetchWhitelist || cfg.UpdateServerURL != "https://updates.puppet.com" {
		t.Errorf("unset: fetch %v, url %q, %v", cfg.FetchWhitelist, cfg.UpdateServerURL, err)
	}
	cfg, err = loadConfig(writeTemp(t, base+`product.update-server-url: "http://127.0.0.1:1"`), nil)
	if err != nil || !cfg.FetchWhitelist || cfg.UpdateServerURL != "http://127.0.0.1:1" {
		t.Errorf("set: fetch %v, url %q, %v", cfg.FetchWhitelist, cfg.UpdateServerURL, err)
	}
}

// TestRelativePathsAsTheClient: the service and the client's LoadConfig
// read the same conf.d, and both resolve a relative path against the
// directory of the file that set it, not the working directory.
func TestRelativePathsAsTheClient(t *testing.T) {
	dir := t.TempDir()
	confd := filepath.Join(dir, "conf.d")
	os.Mkdir(confd, 0o700)
	os.WriteFile(filepath.Join(dir, "version"), []byte("1.0.0\n"), 0o600)
	writeConf(t, filepath.Join(confd, "analytics.conf"), `analytics {
  url: "https://localhost:8140/analytics"
  ssl-opts { ssl-cert: ../ssl/client.pem, ssl-key: ../ssl/client.key, ssl-ca-cert: ../ssl/ca.pem }
  data-directory: ../data
  whitelist-file: wl.json
}
webserver { ssl-port: 0, ssl-cert: ../ssl/server.pem, ssl-key: ../ssl/server.key, ssl-ca-cert: ../ssl/ca.pem }
global.certs.ssl-ca-cert: ../ssl/ca.pem
product { version-path: ../version, conf-dir: ".." }
`)
	svc, err := loadConfig(confd, nil)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := analytics.LoadConfig(confd)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ssl", "ca.pem")
	got := map[string][2]string{
		"ssl-ca-cert":    {cli.SSL.CAFile, svc.TLS.CAFile},
		"data-directory": {svc.DataDir, filepath.Join(dir, "data")},
		"whitelist-file": {svc.WhitelistFile, filepath.Join(confd, "wl.json")},
		"ssl-cert":       {svc.TLS.CertFile, filepath.Join(dir, "ssl", "server.pem")},
		"global ca":      {svc.CheckIn.CAFile, ca},
		"conf-dir":       {svc.CheckIn.ConfDir, dir},
	}
	for key, pair := range got {
		if pair[0] != pair[1] {
			t.Errorf("%s: %q and %q differ", key, pair[0], pair[1])
		}
	}
	if cli.SSL.CAFile != ca || svc.CheckIn.Version != "1.0.0" {
		t.Errorf("client CA %q, version %q", cli.SSL.CAFile, svc.CheckIn.Version)
	}
}
