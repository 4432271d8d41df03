package pki

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

func TestGeneratedChainVerifies(t *testing.T) {
	b, err := Generate(t.TempDir(), "analytics.example")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := b.CertPool()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cert, key string
		usage     x509.ExtKeyUsage
		host      string
	}{
		{b.ServerCert, b.ServerKey, x509.ExtKeyUsageServerAuth, "localhost"},
		{b.ServerCert, b.ServerKey, x509.ExtKeyUsageServerAuth, "127.0.0.1"},
		{b.ServerCert, b.ServerKey, x509.ExtKeyUsageServerAuth, "analytics.example"},
		{b.ClientCert, b.ClientKey, x509.ExtKeyUsageClientAuth, ""},
	} {
		pair, err := tls.LoadX509KeyPair(tc.cert, tc.key)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: tc.host, KeyUsages: []x509.ExtKeyUsage{tc.usage}})
		if err != nil {
			t.Errorf("%s for %q: %v", tc.cert, tc.host, err)
		}
	}
	if fi, err := os.Stat(b.ClientKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("client key mode: %v %v", fi.Mode(), err)
	}
}

func TestLoadOrGenerateKeepsExistingFiles(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadOrGenerate(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(first.CACert)
	second, err := LoadOrGenerate(dir)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(second.CACert)
	if string(before) != string(after) {
		t.Error("LoadOrGenerate replaced an existing CA")
	}
	os.Remove(first.ClientKey)
	third, err := LoadOrGenerate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if regenerated, _ := os.ReadFile(third.CACert); string(regenerated) == string(before) {
		t.Error("an incomplete bundle was not regenerated")
	}
}

func TestTLSConfigs(t *testing.T) {
	b, err := Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sc, err := b.ServerTLSConfig(tls.RequireAndVerifyClientCert)
	if err != nil || sc.MinVersion != tls.VersionTLS12 || sc.ClientAuth != tls.RequireAndVerifyClientCert || len(sc.Certificates) != 1 {
		t.Errorf("server config %+v, %v", sc, err)
	}
	cc, err := b.ClientTLSConfig()
	if err != nil || cc.RootCAs == nil || len(cc.Certificates) != 1 {
		t.Errorf("client config %+v, %v", cc, err)
	}
}

// TestIssueClient signs a second client certificate that verifies against
// the bundle's CA and carries the requested common name.
func TestIssueClient(t *testing.T) {
	b, err := Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_, certFile, keyFile, err := b.IssueClient(t.TempDir(), "agent.example.com")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool, err := b.CertPool()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("verify: %v", err)
	}
	if cert.Subject.CommonName != "agent.example.com" {
		t.Errorf("CN %q", cert.Subject.CommonName)
	}
}
