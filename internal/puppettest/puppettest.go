// Package puppettest builds a Puppet site for tests: a throwaway Puppet CA,
// an analytics service on loopback whose TLS files are a Puppet ssldir
// (certs/CERTNAME.pem, private_keys/CERTNAME.pem, certs/ca.pem, crl.pem),
// and agent nodes, each a confdir holding a real puppet.conf (the one in
// testdata/puppet/node) and its own ssldir signed by the same CA.
package puppettest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// NodeCertname is the certname the puppet.conf in testdata/puppet/node sets.
const NodeCertname = "node1.example.com"

// ServiceCertname is the service node's certname; its certificate is also
// valid for 127.0.0.1 and ::1.
const ServiceCertname = "localhost"

// Site is a Puppet CA and an analytics service using a Puppet ssldir.
type Site struct {
	CA      *pki.CA
	Service *pki.PuppetSSLDir // the service node's ssldir
	Server  *server.Server
	URL     string

	log    *syncBuffer
	served chan error
}

// NewSite starts the service and stops it when t ends.
func NewSite(t testing.TB) *Site {
	t.Helper()
	ca, err := pki.NewCA("Puppet CA: puppet.example.com")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	svc, err := ca.WritePuppetSSLDir(filepath.Join(dir, "ssl"), ServiceCertname, "127.0.0.1", "::1")
	if err != nil {
		t.Fatal(err)
	}
	s := &Site{CA: ca, Service: svc, log: &syncBuffer{}, served: make(chan error, 1)}
	srv, err := server.New(server.Config{
		DataDir:   filepath.Join(dir, "data"),
		HTTPSAddr: "127.0.0.1:0",
		TLS: server.TLSFiles{CertFile: svc.CertFile, KeyFile: svc.KeyFile, CAFile: svc.CAFile, CRLFile: svc.CRLFile,
			ClientAuth: server.ClientAuthNeed},
		CheckIn: server.CheckInConfig{Interval: -1},
		// Every node may report; the service and the node are operators.
		Authorization: server.DefaultRules(server.DefaultPrefix, ServiceCertname, NodeCertname),
		AccessLog:     true,
		Logger:        slog.New(slog.NewJSONHandler(s.log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := srv.Listen(ctx); err != nil {
		_ = srv.Close(ctx)
		t.Fatal(err)
	}
	s.Server, s.URL = srv, srv.URL()
	go func() { s.served <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("puppettest: close: %v", err)
		}
		if err := <-s.served; err != nil && !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("puppettest: serve: %v", err)
		}
	})
	return s
}

// Node is an agent node: its puppet.conf and its ssldir.
type Node struct {
	Conf string // the puppet.conf
	SSL  *pki.PuppetSSLDir
}

// Node writes an agent node in a new confdir: testdata/puppet/node's
// puppet.conf as it is, with "[agent] serverport = PORT" appended for the
// site's service, and the ssldir it names ($confdir/ssl) for NodeCertname.
func (s *Site) Node(t testing.TB) *Node {
	t.Helper()
	confdir := t.TempDir()
	conf, err := os.ReadFile(TestdataNodeConf())
	if err != nil {
		t.Fatal(err)
	}
	port := s.Server.HTTPSAddr().String()
	port = port[strings.LastIndex(port, ":")+1:]
	conf = append(conf, []byte("\n[agent]\n    serverport = "+port+"\n")...)
	path := filepath.Join(confdir, "puppet.conf")
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	ssl, err := s.CA.WritePuppetSSLDir(filepath.Join(confdir, "ssl"), NodeCertname)
	if err != nil {
		t.Fatal(err)
	}
	return &Node{Conf: path, SSL: ssl}
}

// TestdataNodeConf is the path of testdata/puppet/node/puppet.conf.
func TestdataNodeConf() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "puppet", "node", "puppet.conf")
}

// EventSenders returns the certname of each request that stored an event
// (POST .../commands/event answered 2xx), from the service's access log.
func (s *Site) EventSenders() []string {
	var out []string
	for _, line := range bytes.Split(s.log.Bytes(), []byte("\n")) {
		var l struct {
			Msg, Certname, Method, Path string
			Status                      int
		}
		if json.Unmarshal(line, &l) != nil || l.Msg != "request" {
			continue
		}
		if l.Method == "POST" && strings.HasSuffix(l.Path, "/commands/event") && l.Status/100 == 2 {
			out = append(out, l.Certname)
		}
	}
	return out
}

// StoredEvents is how many events the service holds.
func (s *Site) StoredEvents(t testing.TB) int {
	t.Helper()
	st, err := s.Server.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Store.Events
}

// syncBuffer is a bytes.Buffer safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.b.Bytes())
}
