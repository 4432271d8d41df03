package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/puppettest"
)

// analytics --puppet-conf PATH event demo.hello stores the event as the
// node: the service's access log names the node's certname for it.
func TestPuppetConfEvent(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	for i, how := range []struct {
		name  string
		vars  map[string]string
		flags []string
	}{
		{"flag", nil, []string{"--puppet-conf", node.Conf}},
		{"environment", map[string]string{"ANALYTICS_PUPPET_CONF": node.Conf}, nil},
	} {
		t.Run(how.name, func(t *testing.T) {
			r := runCLI(t, testEnv(t, how.vars), append(how.flags, "event", "demo.hello", "--quiet")...)
			expect(t, r, exitOK)
			want := slices.Repeat([]string{puppettest.NodeCertname}, i+1)
			if got := site.EventSenders(); !slices.Equal(got, want) {
				t.Errorf("events stored by %q, want %q", got, want)
			}
			if n := site.StoredEvents(t); n != i+1 {
				t.Errorf("service holds %d events, want %d", n, i+1)
			}
		})
	}
}

// With nothing configured, a node's puppet.conf at Puppet's default
// location is used, and --verbose and status say so.
func TestPuppetZeroConfig(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	e := testEnv(t, nil)
	e.PuppetConfPath = node.Conf

	r := runCLI(t, e, "event", "demo.hello", "--verbose", "--quiet")
	expect(t, r, exitOK)
	oneLineIn(t, r.stderr, "connection settings from the node's puppet.conf "+node.Conf, "certname "+puppettest.NodeCertname)
	if got := site.EventSenders(); !slices.Equal(got, []string{puppettest.NodeCertname}) {
		t.Errorf("events stored by %q", got)
	}

	r = runCLI(t, e, "status")
	expect(t, r, exitOK)
	oneLineIn(t, r.stdout, "settings:", "the node's puppet.conf "+node.Conf)

	// The development config, when analyticsd wrote one, comes first.
	dev := analyticstest.NewServer(t)
	if err := devenv.WriteClientConfig(e.DevConfigPath, dev.Config(), ""); err != nil {
		t.Fatal(err)
	}
	expect(t, runCLI(t, e, "event", "demo.dev", "--quiet"), exitOK)
	if len(dev.Events()) != 1 || len(site.EventSenders()) != 1 {
		t.Errorf("dev service got %d events, Puppet's %d; want the dev config used", len(dev.Events()), len(site.EventSenders()))
	}

	// No puppet.conf there: not a Puppet node, nothing configured.
	e = testEnv(t, nil)
	e.PuppetConfPath = filepath.Join(t.TempDir(), "puppet.conf")
	r = runCLI(t, e, "event", "x")
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "no service configured")
}

func TestPuppetConfErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "puppet.conf")
	if err := os.WriteFile(bad, []byte("[main]\ncertname = n\n[production]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, testEnv(t, nil), "event", "x", "--puppet-conf", bad)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, bad+":3", "illegal section [production]")

	r = runCLI(t, testEnv(t, nil), "event", "x", "--puppet-conf", bad, "--config", bad)
	expect(t, r, exitUsage)
	oneLine(t, r.stderr, "--config and --puppet-conf")
}

// oneLineIn fails t unless one line of s contains every want.
func oneLineIn(t *testing.T, s string, want ...string) {
	t.Helper()
	for _, line := range strings.Split(s, "\n") {
		found := true
		for _, w := range want {
			found = found && strings.Contains(line, w)
		}
		if found {
			return
		}
	}
	t.Errorf("no line of %q mentions all of %q", s, want)
}

// --url replaces the agent's server and keeps its certificates.
func TestPuppetConfWithURL(t *testing.T) {
	site := puppettest.NewSite(t)
	node := site.Node(t)
	conf, err := os.ReadFile(node.Conf)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(filepath.Dir(node.Conf), "elsewhere.conf") // same confdir, same ssldir
	if err := os.WriteFile(elsewhere, append(conf, "\n[agent]\nserver = 127.0.0.1\nserverport = 1\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, runCLI(t, testEnv(t, nil), "event", "demo.hello", "--puppet-conf", elsewhere, "--timeout", "5s"), exitUnreachable)
	r := runCLI(t, testEnv(t, nil), "event", "demo.hello", "--quiet", "--puppet-conf", elsewhere, "--url", site.URL)
	expect(t, r, exitOK)
	if got := site.EventSenders(); !slices.Equal(got, []string{puppettest.NodeCertname}) {
		t.Errorf("events stored by %q", got)
	}
}
