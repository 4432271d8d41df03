package pki

import (
	"crypto/x509"
	"path/filepath"
)

// IssueClient signs one more client certificate with the bundle's CA, for
// the common name cn, and writes it and its key to dir as cn.pem and
// cn-key.pem. It returns the certificate and the two paths.
func (b *Bundle) IssueClient(dir, cn string) (cert *x509.Certificate, certFile, keyFile string, err error) {
	ca, err := b.CA()
	if err != nil {
		return nil, "", "", err
	}
	pair, err := ca.Issue(cn, nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		return nil, "", "", err
	}
	certFile, keyFile = filepath.Join(dir, cn+".pem"), filepath.Join(dir, cn+"-key.pem")
	if err := WriteFile(keyFile, pair.KeyPEM, 0o600); err != nil {
		return nil, "", "", err
	}
	if err := WriteFile(certFile, pair.CertPEM, 0o644); err != nil {
		return nil, "", "", err
	}
	return pair.Cert, certFile, keyFile, nil
}
