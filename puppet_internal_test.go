package analytics

import (
	"os"
	"path/filepath"
	"testing"
)

// Where puppet.conf is looked for, and what stands in for it when there is
// none: root reads the system file, any other user the one in their home;
// an explicit path wins. Without a certname the host's name, lower case,
// is the certname.
func TestPuppetDefaultLocations(t *testing.T) {
	home := t.TempDir()
	name := func() (string, error) { return "Node7.Example.COM", nil }
	user := host{home: home, hostname: name}
	s, err := user.read("")
	if err != nil {
		t.Fatal(err)
	}
	ssldir := filepath.Join(home, ".puppetlabs", "etc", "puppet", "ssl")
	if s.File != "" || s.Certname != "node7.example.com" || s.HostCert != filepath.Join(ssldir, "certs", "node7.example.com.pem") {
		t.Errorf("no puppet.conf, non-root: %+v, want Puppet's defaults under %s", s, ssldir)
	}

	conf := filepath.Join(home, ".puppetlabs", "etc", "puppet", "puppet.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[agent]\nserver = mine.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := user.read(""); err != nil || s.File != conf || s.Server != "mine.example" {
		t.Errorf("user's puppet.conf: %+v, %v; want it read", s, err)
	}
	explicit := filepath.Join(t.TempDir(), "puppet.conf")
	if err := os.WriteFile(explicit, []byte("server = given.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s, err := user.read(explicit); err != nil || s.Server != "given.example" {
		t.Errorf("explicit path: %+v, %v; want it to win", s, err)
	}

	root := host{root: true, home: home, hostname: name}
	if got := filepath.Join(root.defaults()["confdir"], "puppet.conf"); got != "/etc/puppetlabs/puppet/puppet.conf" {
		t.Errorf("root's puppet.conf is %s", got)
	}
	if _, err := os.Stat("/etc/puppetlabs/puppet/puppet.conf"); err == nil {
		t.Skip("this machine has a system puppet.conf")
	}
	s, err = root.read("")
	if err != nil || s.HostCRL != "/etc/puppetlabs/puppet/ssl/crl.pem" || s.Config().URL != "https://puppet:8140/analytics" {
		t.Errorf("root without puppet.conf: %+v, %v", s, err)
	}
}
