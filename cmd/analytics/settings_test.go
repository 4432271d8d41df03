package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/devenv"
)

// writeTK writes a Trapperkeeper conf.d directory holding cfg and returns
// its path.
func writeTK(t *testing.T, cfg analytics.Config) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "conf.d")
	conf := fmt.Sprintf("analytics: {\n  url: %q\n  ssl-opts: { ssl-cert: %q, ssl-key: %q, ssl-ca-cert: %q }\n}\n",
		cfg.URL, cfg.SSL.CertFile, cfg.SSL.KeyFile, cfg.SSL.CAFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "analytics.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sslEnv is cfg as ANALYTICS_* variables.
func sslEnv(cfg analytics.Config) map[string]string {
	return map[string]string{"ANALYTICS_URL": cfg.URL, "ANALYTICS_SSL_CERT": cfg.SSL.CertFile,
		"ANALYTICS_SSL_KEY": cfg.SSL.KeyFile, "ANALYTICS_SSL_CA_CERT": cfg.SSL.CAFile}
}

// Each source wins over the ones below it; the event lands on the service
// the winning settings name.
func TestSettingsPrecedence(t *testing.T) {
	dev, conf, envSrv, flagSrv := analyticstest.NewServer(t), analyticstest.NewServer(t), analyticstest.NewServer(t), analyticstest.NewServer(t)
	plain := analyticstest.NewServer(t, analyticstest.WithPlainHTTP())
	servers := map[string]*analyticstest.Server{"dev": dev, "conf": conf, "env": envSrv, "flag": flagSrv, "plain": plain}

	// A --config whose URL and key are wrong, to be fixed one setting at a
	// time by the environment and a flag.
	partial := conf.Config()
	partial.URL = "https://127.0.0.1:1/analytics"
	partial.SSL = &analytics.SSLOpts{CertFile: partial.SSL.CertFile, KeyFile: "/nonexistent/key.pem", CAFile: partial.SSL.CAFile}

	tests := []struct {
		name  string
		dev   bool // write the dev config for dev's service
		vars  map[string]string
		flags []string
		want  string // the service that must get the event
	}{
		{"dev config alone", true, nil, nil, "dev"},
		{"--config over dev config", true, nil, []string{"--config", writeTK(t, conf.Config())}, "conf"},
		{"environment over --config", true, sslEnv(envSrv.Config()), []string{"--config", writeTK(t, conf.Config())}, "env"},
		{"flags over environment", true, sslEnv(envSrv.Config()), connFlags(flagSrv.Config()), "flag"},
		{"single settings override", false, map[string]string{"ANALYTICS_URL": conf.URL},
			[]string{"--config", writeTK(t, partial), "--ssl-key", conf.Config().SSL.KeyFile}, "conf"},
		{"ANALYTICS_URL skips the dev config", true, map[string]string{"ANALYTICS_URL": plain.URL}, nil, "plain"},
		{"--url skips the dev config", true, nil, []string{"--url", plain.URL}, "plain"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testEnv(t, tt.vars)
			if tt.dev {
				if err := devenv.WriteClientConfig(e.DevConfigPath, dev.Config(), ""); err != nil {
					t.Fatal(err)
				}
			}
			name := fmt.Sprintf("case.%d", i)
			expect(t, runCLI(t, e, append([]string{"event", name, "--quiet"}, tt.flags...)...), exitOK)
			for label, srv := range servers {
				got := 0
				for _, ev := range srv.Events() {
					if ev.Event == name {
						got++
					}
				}
				if want := map[bool]int{true: 1}[label == tt.want]; got != want {
					t.Errorf("service %s stored %s %d times, want %d", label, name, got, want)
				}
			}
		})
	}
}

func TestSettingsErrors(t *testing.T) {
	srv := analyticstest.NewServer(t)
	missingKey := writeTK(t, srv.Config())
	os.WriteFile(filepath.Join(missingKey, "analytics.conf"), []byte("analytics.ssl-opts.ssl-cert: c.pem\n"), 0o644)

	t.Run("nothing configured", func(t *testing.T) {
		e := testEnv(t, nil)
		r := runCLI(t, e, "event", "x")
		expect(t, r, exitUsage)
		oneLine(t, r.stderr, "no service configured", "ANALYTICS_URL", "analyticsd", e.DevConfigPath)
	})
	t.Run("broken dev config", func(t *testing.T) {
		e := testEnv(t, nil)
		os.WriteFile(e.DevConfigPath, []byte(`{"url":`), 0o644)
		r := runCLI(t, e, "event", "x")
		expect(t, r, exitUsage)
		oneLine(t, r.stderr, e.DevConfigPath)
	})
	t.Run("--config missing keys", func(t *testing.T) {
		r := runCLI(t, testEnv(t, nil), "event", "x", "--config", missingKey)
		expect(t, r, exitUsage)
		oneLine(t, r.stderr, "analytics.url", "analytics.ssl-opts.ssl-key", "analytics.conf")
	})
	t.Run("certificate file missing", func(t *testing.T) {
		cfg := srv.Config()
		cfg.SSL.CertFile = filepath.Join(t.TempDir(), "gone.pem")
		r := runCLI(t, testEnv(t, nil), append([]string{"event", "x"}, connFlags(cfg)...)...)
		expect(t, r, exitUsage)
		oneLine(t, r.stderr, "--ssl-cert "+cfg.SSL.CertFile+": does not exist")
	})
	if n := len(srv.Events()); n != 0 {
		t.Errorf("the service stored %d events after configuration errors", n)
	}
}

// With only a stale dev config, an unreachable service says where the
// settings came from.
func TestDevConfigServiceDown(t *testing.T) {
	srv := analyticstest.NewServer(t)
	e := testEnv(t, nil)
	if err := devenv.WriteClientConfig(e.DevConfigPath, srv.Config(), ""); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	r := runCLI(t, e, "event", "x")
	expect(t, r, exitUnreachable)
	oneLine(t, r.stderr, "service unreachable", e.DevConfigPath, "is analyticsd running?")
}
