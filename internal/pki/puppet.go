package pki

import (
	"crypto/x509"
	"os"
	"path/filepath"
)

// PuppetSSLDir names the files of one node's Puppet ssldir, laid out as the
// Puppet agent lays it out: certs/CERTNAME.pem, private_keys/CERTNAME.pem,
// the CA bundle certs/ca.pem and the CRL crl.pem.
type PuppetSSLDir struct {
	Dir      string
	Certname string
	Cert     *x509.Certificate
	CertFile string
	KeyFile  string
	CAFile   string
	CRLFile  string
}

// WritePuppetSSLDir writes a node's ssldir under dir: a certificate for
// certname signed by ca, valid for both TLS sides as Puppet's are, with
// certname and hosts as subject alternative names (a certificate requested
// with dns_alt_names), its key, ca's certificate and an empty CRL signed
// by ca.
func (ca *CA) WritePuppetSSLDir(dir, certname string, hosts ...string) (*PuppetSSLDir, error) {
	pair, err := ca.issue(certname, append([]string{certname}, hosts...),
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, 0)
	if err != nil {
		return nil, err
	}
	crl, err := ca.CRL()
	if err != nil {
		return nil, err
	}
	s := &PuppetSSLDir{Dir: dir, Certname: certname, Cert: pair.Cert,
		CertFile: filepath.Join(dir, "certs", certname+".pem"), KeyFile: filepath.Join(dir, "private_keys", certname+".pem"),
		CAFile: filepath.Join(dir, "certs", "ca.pem"), CRLFile: filepath.Join(dir, "crl.pem")}
	for _, sub := range []string{"certs", "private_keys"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{
		{s.KeyFile, pair.KeyPEM, 0o600}, {s.CertFile, pair.CertPEM, 0o644},
		{s.CAFile, EncodeCerts(ca.Cert), 0o644}, {s.CRLFile, crl, 0o644},
	} {
		if err := WriteFile(f.path, f.data, f.perm); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Revoke replaces the ssldir's CRL with one signed by ca that revokes
// certs, as the agent does when it downloads a new CRL.
func (s *PuppetSSLDir) Revoke(ca *CA, certs ...*x509.Certificate) error {
	crl, err := ca.CRL(certs...)
	if err != nil {
		return err
	}
	return WriteFile(s.CRLFile, crl, 0o644)
}
