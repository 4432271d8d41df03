// Package pki creates a throwaway certificate authority with a server and a
// client certificate, written as PEM files. Tests use it for real mutual TLS;
// the development service and the CLI's try command use it so that they run
// on a fresh machine with no setup.
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
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
// client certificate with the common name "analytics-client".
func Generate(dir string, hosts ...string) (*Bundle, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	b := bundleIn(dir)
	ca, caKey, err := newCA("analytics throwaway CA")
	if err != nil {
		return nil, err
	}
	if err := writePair(b.CACert, b.CAKey, ca.Raw, caKey); err != nil {
		return nil, err
	}
	all := append([]string{"localhost", "127.0.0.1", "::1"}, hosts...)
	if err := issue(b.ServerCert, b.ServerKey, ca, caKey, ServerCommonName, all, x509.ExtKeyUsageServerAuth); err != nil {
		return nil, err
	}
	if err := issue(b.ClientCert, b.ClientKey, ca, caKey, ClientCommonName, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return nil, err
	}
	return b, nil
}

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

// CertPool returns a pool holding the bundle's CA certificate.
func (b *Bundle) CertPool() (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(b.CACert)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return nil, fmt.Errorf("pki: %s holds no certificate", b.CACert)
	}
	return pool, nil
}

// ServerTLSConfig returns a TLS 1.2+ server configuration presenting the
// server certificate and verifying clients against the CA with the given
// policy.
func (b *Bundle) ServerTLSConfig(auth tls.ClientAuthType) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(b.ServerCert, b.ServerKey)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	pool, err := b.CertPool()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientCAs:    pool,
		ClientAuth:   auth,
	}, nil
}

// ClientTLSConfig returns a client configuration presenting the client
// certificate and trusting only the bundle's CA.
func (b *Bundle) ClientTLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(b.ClientCert, b.ClientKey)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	pool, err := b.CertPool()
	if err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}, RootCAs: pool}, nil
}

func newCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %w", err)
	}
	return cert, key, nil
}

func issue(certPath, keyPath string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, hosts []string, usage x509.ExtKeyUsage) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(5, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return writePair(certPath, keyPath, der, key)
}

func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		// crypto/rand does not fail on supported platforms; a fixed serial
		// is still a valid certificate.
		return big.NewInt(1)
	}
	return n
}
