package analytics_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/pki"
)

func TestNewReportsEachConfigProblem(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.Generate(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("hello"), 0o600)
	missing := filepath.Join(dir, "missing.pem")

	ssl := func(cert, key, ca string) *analytics.SSLOpts {
		return &analytics.SSLOpts{CertFile: cert, KeyFile: key, CAFile: ca}
	}
	url := "https://localhost:8140/analytics"
	cases := []struct {
		name string
		cfg  analytics.Config
		want []string // substrings of the message
	}{
		{"no url", analytics.Config{}, []string{"url", "required"}},
		{"relative url", analytics.Config{URL: "/analytics"}, []string{"url", "not an absolute URL"}},
		{"bad scheme", analytics.Config{URL: "ftp://h/analytics"}, []string{"url", "ftp"}},
		{"missing cert", analytics.Config{URL: url, SSL: ssl(missing, b.ClientKey, b.CACert)}, []string{"ssl-cert", missing, "does not exist"}},
		{"cert not PEM", analytics.Config{URL: url, SSL: ssl(notPEM, b.ClientKey, b.CACert)}, []string{"ssl-cert", notPEM, "not PEM"}},
		{"key is a cert", analytics.Config{URL: url, SSL: ssl(b.ClientCert, b.ClientCert, b.CACert)}, []string{"ssl-key", "no private key"}},
		{"key does not match", analytics.Config{URL: url, SSL: ssl(b.ClientCert, other.ClientKey, b.CACert)}, []string{"ssl-key", other.ClientKey, "does not match"}},
		{"CA holds no certificate", analytics.Config{URL: url, SSL: ssl(b.ClientCert, b.ClientKey, b.ClientKey)}, []string{"ssl-ca-cert", b.ClientKey, "no certificate"}},
		{"CA missing", analytics.Config{URL: url, SSL: ssl(b.ClientCert, b.ClientKey, missing)}, []string{"ssl-ca-cert", "does not exist"}},
		{"cert without key", analytics.Config{URL: url, SSL: ssl(b.ClientCert, "", b.CACert)}, []string{"ssl-key", "required"}},
		{"https without ssl", analytics.Config{URL: url}, []string{"config ssl-opts: is required with an https url: set ssl-cert, ssl-key and ssl-ca-cert"}},
		{"ssl with http", analytics.Config{URL: "http://localhost/analytics", SSL: ssl(b.ClientCert, b.ClientKey, b.CACert)}, []string{"ssl-opts", "not https"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := analytics.New(tc.cfg)
			assertConfigError(t, err, tc.want...)
		})
	}
}

func TestNewAcceptsValidConfigs(t *testing.T) {
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []analytics.Config{
		{URL: "http://127.0.0.1:8080/analytics"},
		{URL: "https://analytics.example/analytics", HTTPClient: &http.Client{}}, // TLS is the HTTPClient's
		{URL: "https://localhost:8140/analytics", SSL: &analytics.SSLOpts{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}},
	} {
		c, err := analytics.New(cfg)
		if err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
			continue
		}
		if c.URL() != cfg.URL {
			t.Errorf("URL() = %q", c.URL())
		}
		c.Close()
	}
}

func TestConfigDecodesJVMKeys(t *testing.T) {
	var cfg analytics.Config
	err := json.Unmarshal([]byte(`{"url":"https://h:8140/analytics","ssl-opts":{"ssl-cert":"c.pem","ssl-key":"k.pem","ssl-ca-cert":"ca.pem"}}`), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := analytics.SSLOpts{CertFile: "c.pem", KeyFile: "k.pem", CAFile: "ca.pem"}
	if cfg.URL != "https://h:8140/analytics" || cfg.SSL == nil || *cfg.SSL != want {
		t.Errorf("decoded %+v %+v", cfg, cfg.SSL)
	}
}
