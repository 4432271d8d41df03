package pki

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
)

// IssueClient signs one more client certificate with the bundle's CA, for
// the common name cn, and writes it and its key to dir as cn.pem and
// cn-key.pem. It returns their paths.
func (b *Bundle) IssueClient(dir, cn string) (certFile, keyFile string, err error) {
	ca, caKey, err := b.loadCA()
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+"-key.pem")
	if err := issue(certFile, keyFile, ca, caKey, cn, nil, x509.ExtKeyUsageClientAuth); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// loadCA reads the CA certificate and key back from their files.
func (b *Bundle) loadCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certDER, err := readPEM(b.CACert, "CERTIFICATE")
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", b.CACert, err)
	}
	keyDER, err := readPEM(b.CAKey, "PRIVATE KEY")
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(keyDER)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: %s: %w", b.CAKey, err)
	}
	ecKey, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, fmt.Errorf("pki: %s is not an ECDSA key", b.CAKey)
	}
	return ca, ecKey, nil
}

// readPEM returns the bytes of the first block of type typ in file.
func readPEM(file, typ string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			return nil, fmt.Errorf("pki: %s holds no %s block", file, typ)
		}
		if block.Type == typ {
			return block.Bytes, nil
		}
	}
}
