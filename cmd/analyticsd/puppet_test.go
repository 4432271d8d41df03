package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/puppettest"
)

// analyticsd started with the documented configuration (testdata/puppet/
// analyticsd/analytics.conf) presents its node's Puppet certificate, and a
// client on another node, configured by nothing but that node's
// puppet.conf, trusts it and is known by its certname.
func TestPuppetCertificateService(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("Puppet CA: puppet.example.com")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := ca.WritePuppetSSLDir(filepath.Join(dir, "service", "ssl"), "localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "puppet", "analyticsd", "analytics.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The documented file as it is, then what an installation sets: the
	// node's ssldir and certname (and, for the test, where to listen and
	// keep data). Its ${puppet...} substitutions see these values.
	conf := filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, string(doc)+`
puppet.ssldir: `+svc.Dir+`
puppet.certname: `+svc.Certname+`
webserver.ssl-host: 127.0.0.1
webserver.ssl-port: 0
analytics.data-directory: `+filepath.Join(dir, "data")+`
product.update-server-url: "http://127.0.0.1:1"
`)
	log := newLogWatch()
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"--config", conf, "--log-level", "info"}, io.Discard, log) }()
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d; log:\n%s", c, log.String())
		}
	}()
	_, after, _ := strings.Cut(log.await(t, 0, "analytics service started"), " url=")
	url := strings.Fields(after)[0]
	if strings.Contains(log.String(), "configuration: ") {
		t.Errorf("the documented configuration draws warnings:\n%s", log.String())
	}
	port := url[strings.LastIndex(url, ":")+1:]
	port = port[:strings.Index(port, "/")]

	// Another node: its own confdir, puppet.conf and ssldir from the same
	// Puppet CA, its server this service.
	node := filepath.Join(dir, "node")
	nodeSSL, err := ca.WritePuppetSSLDir(filepath.Join(node, "ssl"), puppettest.NodeCertname)
	if err != nil {
		t.Fatal(err)
	}
	nodeConf, err := os.ReadFile(puppettest.TestdataNodeConf())
	if err != nil {
		t.Fatal(err)
	}
	writeConf(t, filepath.Join(node, "puppet.conf"), string(nodeConf)+"\n[agent]\nserverport = "+port+"\n")
	cfg, err := analytics.LoadPuppetConfig(filepath.Join(node, "puppet.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SSL.CertFile != nodeSSL.CertFile {
		t.Fatalf("client certificate %s, want the node's %s", cfg.SSL.CertFile, nodeSSL.CertFile)
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	client, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	from := log.mark()
	if _, err := client.StoreEvent(ctx, analytics.Event{Name: "demo.hello"}); err != nil {
		t.Fatalf("the node does not trust the service's Puppet certificate: %v", err)
	}

	// The service checks the agents against the Puppet CRL too.
	if err := svc.Revoke(ca, nodeSSL.Cert); err != nil {
		t.Fatal(err)
	}
	hangup(t)
	log.await(t, from, "SIGHUP: certificates checked")
	client.Close()
	again, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.StoreEvent(ctx, analytics.Event{Name: "demo.revoked"}); err == nil {
		t.Error("the service accepted a node whose certificate the Puppet CRL revokes")
	}
}
