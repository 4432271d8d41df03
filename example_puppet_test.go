package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/analytics-client/analytics"
)

// On a Puppet node the agent's own settings say where the service is and
// which certificate to present: LoadPuppetConfig reads them from
// puppet.conf ([main], then [agent] over it, $settings interpolated) and
// names the agent's certificate, key, CA bundle and CRL.
func ExampleLoadPuppetConfig() {
	confdir, err := os.MkdirTemp("", "puppet-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(confdir)
	conf := filepath.Join(confdir, "puppet.conf")
	os.WriteFile(conf, []byte(`[main]
certname = node1.example.com
server = puppet.example.com
ssldir = $confdir/ssl

[agent]
serverport = 8141
`), 0o644)

	s, err := analytics.ReadPuppetSettings(conf)
	if err != nil {
		log.Fatal(err)
	}
	cfg := s.Config()
	rel := func(p string) string { return strings.TrimPrefix(p, confdir+string(filepath.Separator)) }
	fmt.Println(cfg.URL)
	fmt.Println(rel(cfg.SSL.CertFile), rel(cfg.SSL.KeyFile), rel(cfg.SSL.CAFile), rel(cfg.SSL.CRLFile))

	// LoadPuppetConfig also checks that the agent's files are there: this
	// node has no signed certificate yet.
	_, err = analytics.LoadPuppetConfig(conf)
	var ce *analytics.ConfigError
	fmt.Println(errors.As(err, &ce), ce.Field)
	// Output:
	// https://puppet.example.com:8141/analytics
	// ssl/certs/node1.example.com.pem ssl/private_keys/node1.example.com.pem ssl/certs/ca.pem ssl/crl.pem
	// true hostcert
}

// A program on any Puppet node reports with no configuration of its own:
// LoadPuppetConfig("") reads the node's puppet.conf where Puppet keeps it
// (/etc/puppetlabs/puppet/puppet.conf for root) and the Reporter delivers
// to the agent's server as the node's certname. (Not run here: this
// machine is not a Puppet node.)
func ExampleNewReporter_puppet() {
	cfg, err := analytics.LoadPuppetConfig("")
	if err != nil {
		log.Fatal(err) // names the file, the line and the setting
	}
	client, err := analytics.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	_ = reporter.Event(analytics.Event{Name: "myd.started"})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reporter.Close(ctx); err != nil {
		log.Print(err)
	}
}

// Where Puppet keeps puppet.conf for this process: under
// /etc/puppetlabs/puppet for root, ~/.puppetlabs/etc/puppet for other
// users. LoadPuppetConfig("") reads it.
func ExampleDefaultPuppetConfPath() {
	path := analytics.DefaultPuppetConfPath()
	fmt.Println(filepath.Base(path), filepath.Base(filepath.Dir(path)))
	// Output:
	// puppet.conf puppet
}
