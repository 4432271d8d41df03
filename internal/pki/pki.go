// Package pki creates a throwaway certificate authority with a server and a
// client certificate, written as PEM files, and can sign more certificates
// and CRLs with it or rotate it. Tests use it for real mutual TLS;
// the development service and the CLI's try command use it so that they run
// on a fresh machine with no setup.
package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// Bundle names the PEM files of one throwaway CA and the certificates it
// signed.
type Bundle struct {
	Dir        string
	CACert     string
	CAKey      string
	ServerCert string
	ServerKey  string
	ClientCert string
	ClientKey  string
}

// Names of the files a Bundle writes in its directory.
const (
	caCertName     = "ca.pem"
	caKeyName      = "ca-key.pem"
	serverCertName = "server.pem"
	serverKeyName  = "server-key.pem"
	clientCertName = "client.pem"
	clientKeyName  = "client-key.pem"
)

func bundleIn(dir string) *Bundle {
	return &Bundle{
		Dir:        dir,
		CACert:     filepath.Join(dir, caCertName),
		CAKey:      filepath.Join(dir, caKeyName),
		ServerCert: filepath.Join(dir, serverCertName),
		ServerKey:  filepath.Join(dir, serverKeyName),
		ClientCert: filepath.Join(dir, clientCertName),
		ClientKey:  filepath.Join(dir, clientKeyName),
	}
}

// Common names of the certificates Generate signs: the server's is the
// service's own certname, the client's the certname of its client.
const (
	ServerCommonName = "localhost"
	ClientCommonName = "analytics-client"
)

// Generate creates a new CA in dir (created if missing) and signs a server
// certificate valid for localhost, 127.0.0.1, ::1 and any extra hosts, and a
// client certificate with the common name ClientCommonName.
func Generate(dir string, hosts ...string) (*Bundle, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	b := bundleIn(dir)
	ca, err := NewCA("analytics throwaway CA")
	if err != nil {
		return nil, err
	}
	return b, b.install(ca, append([]string{"localhost", "127.0.0.1", "::1"}, hosts...))
}

// install writes ca as the bundle's only CA and new server and client
// certificates signed by it, each file by rename. The CA bundle is written
// last, so that a peer that reads it sees the certificates it signs.
func (b *Bundle) install(ca *CA, hosts []string) error {
	server, err := ca.Issue(ServerCommonName, hosts, x509.ExtKeyUsageServerAuth, 0)
	if err != nil {
		return err
	}
	client, err := ca.Issue(ClientCommonName, nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		return err
	}
	caKey, err := ca.KeyPEM()
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{b.CAKey, caKey, 0o600},
		{b.ServerKey, server.KeyPEM, 0o600}, {b.ServerCert, server.CertPEM, 0o644},
		{b.ClientKey, client.KeyPEM, 0o600}, {b.ClientCert, client.CertPEM, 0o644},
		{b.CACert, EncodeCerts(ca.Cert), 0o644},
	} {
		if err := WriteFile(f.path, f.data, f.perm); err != nil {
			return err
		}
	}
	return nil
}

// Rotate replaces the bundle's CA and both certificates, as a CA rotation
// ends: a new CA signs new server and client certificates for the same
// hosts, and the CA bundle then holds the new CA only. Each file is
// replaced by rename. Peers that reload their files (see package
// tlsfiles) carry on; the old certificates no longer verify.
func (b *Bundle) Rotate() error {
	old, err := b.CA()
	if err != nil {
		return err
	}
	m, err := tlsfiles.Load(tlsfiles.Files{CertFile: b.ServerCert, KeyFile: b.ServerKey}, time.Now())
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	hosts := m.Leaf.DNSNames
	for _, ip := range m.Leaf.IPAddresses {
		hosts = append(hosts, ip.String())
	}
	ca, err := NewCA(old.Cert.Subject.CommonName)
	if err != nil {
		return err
	}
	return b.install(ca, hosts)
}

// CA returns the bundle's CA, to sign more certificates or CRLs.
func (b *Bundle) CA() (*CA, error) { return LoadCA(b.CACert, b.CAKey) }

// LoadOrGenerate returns the bundle in dir when all its files exist, and
// generates a new one otherwise.
func LoadOrGenerate(dir string, hosts ...string) (*Bundle, error) {
	b := bundleIn(dir)
	for _, p := range []string{b.CACert, b.CAKey, b.ServerCert, b.ServerKey, b.ClientCert, b.ClientKey} {
		if _, err := os.Stat(p); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return Generate(dir, hosts...)
			}
			return nil, fmt.Errorf("pki: %w", err)
		}
	}
	return b, nil
}

// CertPool returns a pool holding the bundle's CA certificates.
func (b *Bundle) CertPool() (*x509.CertPool, error) {
	m, err := tlsfiles.Load(tlsfiles.Files{CAFile: b.CACert}, time.Now())
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return m.Roots, nil
}

// ServerTLSConfig returns a TLS 1.2+ server configuration presenting the
// server certificate and verifying clients against the CA with the given
// policy. The files are read once.
func (b *Bundle) ServerTLSConfig(auth tls.ClientAuthType) (*tls.Config, error) {
	m, err := tlsfiles.Load(tlsfiles.Files{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert}, time.Now())
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*m.Cert},
		ClientCAs:    m.Roots,
		ClientAuth:   auth,
	}, nil
}

// ClientTLSConfig returns a client configuration presenting the client
// certificate and trusting only the bundle's CA. The files are read once.
func (b *Bundle) ClientTLSConfig() (*tls.Config, error) {
	m, err := tlsfiles.Load(tlsfiles.Files{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}, time.Now())
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*m.Cert}, RootCAs: m.Roots}, nil
}
