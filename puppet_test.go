package analytics_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/puppettest"
)

// puppetClient is a client built from the node's puppet.conf that looks
// at its files at every request.
func puppetClient(t *testing.T, conf string) (*analytics.Client, analytics.Config) {
	t.Helper()
	cfg, err := analytics.LoadPuppetConfig(conf)
	if err != nil {
		t.Fatal(err)
	}
	cfg.CertCheckInterval = time.Nanosecond
	cfg.Logger = slog.New(slog.DiscardHandler)
	c, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cfg
}

// A node's real puppet.conf (sections, interpolation, quotes, file
// options) and ssldir are all a client needs: the event reaches the
// service over mutual TLS, sent as the node's certname.
func TestLoadPuppetConfigReportsAsTheNode(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	client, cfg := puppetClient(t, node.Conf)

	port := site.Server.HTTPSAddr().String()
	port = port[strings.LastIndex(port, ":")+1:]
	if want := "https://localhost:" + port + "/analytics"; cfg.URL != want {
		t.Errorf("URL %s, want %s ([agent] server and the appended serverport)", cfg.URL, want)
	}
	want := analytics.SSLOpts{CertFile: node.SSL.CertFile, KeyFile: node.SSL.KeyFile, CAFile: node.SSL.CAFile, CRLFile: node.SSL.CRLFile}
	if *cfg.SSL != want {
		t.Errorf("SSL %+v, want the node's ssldir %+v", *cfg.SSL, want)
	}
	if _, err := client.StoreEvent(context.Background(), analytics.Event{Name: "demo.hello"}); err != nil {
		t.Fatal(err)
	}
	if got := site.EventSenders(); !slices.Equal(got, []string{puppettest.NodeCertname}) {
		t.Errorf("events stored by %q, want one by %s", got, puppettest.NodeCertname)
	}
	if n := site.StoredEvents(t); n != 1 {
		t.Errorf("service holds %d events, want 1", n)
	}
}

// The client checks the service's certificate against the node's CRL, as
// the agent does, and reads the CRL again when it changes: revoked, the
// service is refused with ErrRevoked; the CRL replaced again, it is
// trusted again, with no new client.
func TestPuppetCRLRevokesTheService(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	client, _ := puppetClient(t, node.Conf)
	ctx := context.Background()
	if _, err := client.StoreEvent(ctx, analytics.Event{Name: "demo.before"}); err != nil {
		t.Fatal(err)
	}

	if err := node.SSL.Revoke(site.CA, site.Service.Cert); err != nil {
		t.Fatal(err)
	}
	_, err := client.StoreEvent(ctx, analytics.Event{Name: "demo.revoked"})
	var re *analytics.RevokedError
	if !errors.Is(err, analytics.ErrRevoked) || !errors.As(err, &re) || !errors.Is(err, analytics.ErrUnreachable) {
		t.Fatalf("error %v, want ErrRevoked, a *RevokedError and ErrUnreachable", err)
	}
	if re.CRLFile != node.SSL.CRLFile || re.Subject != "CN="+puppettest.ServiceCertname || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("RevokedError %+v (%q), want the service's subject and %s", re, err, node.SSL.CRLFile)
	}

	if err := node.SSL.Revoke(site.CA); err != nil { // a CRL revoking nothing
		t.Fatal(err)
	}
	if _, err := client.StoreEvent(ctx, analytics.Event{Name: "demo.after"}); err != nil {
		t.Fatalf("after the CRL was replaced: %v", err)
	}
	if got := site.EventSenders(); len(got) != 2 {
		t.Errorf("%d events stored, want 2 (none while revoked)", len(got))
	}
}

// writeConf writes a puppet.conf holding src in a new confdir.
func writeConf(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "puppet.conf")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Where the server and its port come from, as the agent picks them.
func TestPuppetServerAndPort(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"defaults", "certname = n\n", "https://puppet:8140/analytics"},
		{"server and serverport", "[main]\ncertname = n\nserver = p.example\nserverport = 8141\n", "https://p.example:8141/analytics"},
		{"the older masterport", "[main]\ncertname = n\nmasterport = 8142\n", "https://puppet:8142/analytics"},
		{"serverport beats masterport in one section", "[main]\ncertname = n\nmasterport = 1\nserverport = 2\n", "https://puppet:2/analytics"},
		{"[agent] masterport beats [main] serverport", "[main]\ncertname = n\nserverport = 1\n[agent]\nmasterport = 3\n", "https://puppet:3/analytics"},
		{"server_list first entry wins", "[main]\ncertname = n\nserver = s\nserver_list = a.example:9000, b.example\n", "https://a.example:9000/analytics"},
		{"server_list entry without port", "[main]\ncertname = n\nserverport = 7\nserver_list = b.example,a\n", "https://b.example:7/analytics"},
		{"IPv6 server", "certname = n\nserver = ::1\n", "https://[::1]:8140/analytics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := analytics.ReadPuppetSettings(writeConf(t, tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Config().URL; got != tt.want {
				t.Errorf("URL %s, want %s", got, tt.want)
			}
		})
	}
}

// certificate_revocation = false turns the CRL off, as for the agent.
func TestPuppetRevocationOff(t *testing.T) {
	s, err := analytics.ReadPuppetSettings(writeConf(t, "certname = n\n[agent]\ncertificate_revocation = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg := s.Config(); cfg.SSL.CRLFile != "" {
		t.Errorf("CRL %s with certificate_revocation = false", cfg.SSL.CRLFile)
	}
	s, _ = analytics.ReadPuppetSettings(writeConf(t, "certname = n\n"))
	if s.Config().SSL.CRLFile == "" {
		t.Error("no CRL by default; Puppet checks the chain")
	}
}

// Every error is a *ConfigError naming the file, the line and the setting.
func TestPuppetConfigErrors(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	missing := filepath.Join(t.TempDir(), "puppet.conf")
	tests := []struct {
		name, path       string
		field, file, say string
	}{
		{"explicit path missing", missing, "puppet.conf", missing, "cannot be read"},
		{"environment section", writeConf(t, "[main]\ncertname = n\n[production]\n"), "puppet.conf", ":3", "illegal section [production]"},
		{"bad port", writeConf(t, "certname = n\n[agent]\nserverport = 81400\n"), "serverport", ":3", `"81400" is not a port number`},
		{"bad server_list port", writeConf(t, "certname = n\nserver_list = a:x\n"), "server_list", ":2", `"x" is not a port number`},
		{"unknown variable", writeConf(t, "certname = n\n[agent]\nssldir = $sitedir/ssl\n"), "ssldir", ":3", "could not find value for $sitedir"},
		{"empty server", writeConf(t, "certname = n\nserver =\n"), "server", ":2", "is empty"},
		{"empty certname", writeConf(t, "[agent]\ncertname =\n"), "certname", ":2 [agent]", "is empty"},
		{"certificate missing", writeConf(t, "certname = gone\nssldir = "+node.SSL.Dir+"\n"), "hostcert",
			"(Puppet's default)", filepath.Join(node.SSL.Dir, "certs", "gone.pem") + " does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := analytics.LoadPuppetConfig(tt.path)
			var ce *analytics.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a *ConfigError", err)
			}
			if ce.Field != tt.field || !strings.Contains(ce.File, tt.file) || !strings.Contains(ce.Reason, tt.say) {
				t.Errorf("error %q: field %q file %q, want %q, %q, %q", err, ce.Field, ce.File, tt.field, tt.file, tt.say)
			}
			if !strings.HasPrefix(ce.File, tt.path) && tt.file != "(Puppet's default)" {
				t.Errorf("file %q does not start with %s", ce.File, tt.path)
			}
		})
	}
}

// The puppet.conf files Puppet 7 and 8 packages install leave everything
// at Puppet's defaults.
func TestPackagedPuppetConf(t *testing.T) {
	for _, pkg := range []string{"puppet-agent", "puppetserver"} {
		t.Run(pkg, func(t *testing.T) {
			path := filepath.Join("testdata", "puppet", "packaged", pkg, "puppet.conf")
			s, err := analytics.ReadPuppetSettings(path)
			if err != nil {
				t.Fatal(err)
			}
			confdir, _ := filepath.Abs(filepath.Dir(path))
			cfg := s.Config()
			if cfg.URL != "https://puppet:8140/analytics" || s.Certname == "" || s.Certname != strings.ToLower(s.Certname) ||
				cfg.SSL.CertFile != filepath.Join(confdir, "ssl", "certs", s.Certname+".pem") ||
				cfg.SSL.CAFile != filepath.Join(confdir, "ssl", "certs", "ca.pem") || cfg.SSL.CRLFile != filepath.Join(confdir, "ssl", "crl.pem") {
				t.Errorf("settings %+v, config %+v %+v: want Puppet's defaults under %s", s, cfg, cfg.SSL, confdir)
			}
		})
	}
}
