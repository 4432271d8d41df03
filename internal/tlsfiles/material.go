package tlsfiles

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Material is one validated load of the Files. It is never modified after
// Load returns, so a handshake can use it while a reload replaces it.
type Material struct {
	// Cert is the certificate and key to present; nil without CertFile.
	Cert *tls.Certificate
	// Leaf is Cert's parsed certificate; nil without CertFile.
	Leaf *x509.Certificate
	// Roots holds the CA bundle; nil without CAFile.
	Roots *x509.CertPool
	// CAs are the certificates of the CA bundle, in file order.
	CAs []*x509.Certificate
	// CRLs are the revocation lists, each verified against a CA in CAs.
	CRLs []*x509.RevocationList

	revoked map[string]struct{} // revocationKey of each revoked serial
	raw     [4][]byte           // the files' contents, by Role
}

// Load reads and validates the files: the certificate parses, is not
// expired at now and its key matches it; every certificate in the CA
// bundle parses; every CRL parses and is signed by a CA of the bundle.
// A problem is a *FileError naming the file and what is wrong.
func Load(f Files, now time.Time) (*Material, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	m := &Material{}
	steps := []struct {
		role Role
		load func(Files, time.Time) error
	}{{RoleCert, m.loadPair}, {RoleCA, m.loadCAs}, {RoleCRL, m.loadCRLs}}
	for _, s := range steps {
		if f.path(s.role) == "" {
			continue
		}
		if err := s.load(f, now); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Expiry is when the certificate in use stops being valid; zero without
// a certificate.
func (m *Material) Expiry() time.Time {
	if m == nil || m.Leaf == nil {
		return time.Time{}
	}
	return m.Leaf.NotAfter
}

// Revoked returns the first certificate of chain (leaf first) that a CRL
// revokes, or nil.
func (m *Material) Revoked(chain []*x509.Certificate) *x509.Certificate {
	if len(m.revoked) == 0 {
		return nil
	}
	for _, c := range chain {
		if _, ok := m.revoked[revocationKey(c.RawIssuer, c.SerialNumber)]; ok {
			return c
		}
	}
	return nil
}

// sameFiles reports whether m was loaded from the same bytes as o.
func (m *Material) sameFiles(o *Material) bool {
	if o == nil {
		return false
	}
	for i := range m.raw {
		if !bytes.Equal(m.raw[i], o.raw[i]) {
			return false
		}
	}
	return true
}

// revocationKey identifies a certificate by its issuer's name (DER, so
// self-delimiting) and serial number.
func revocationKey(rawIssuer []byte, serial *big.Int) string {
	return string(rawIssuer) + serial.Text(16)
}

func (m *Material) loadPair(f Files, now time.Time) error {
	certPEM, err := readBlocks(f, RoleCert, "CERTIFICATE")
	if err != nil {
		return err
	}
	keyPEM, err := readBlocks(f, RoleKey, "PRIVATE KEY")
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return &FileError{Role: RoleKey, File: f.KeyFile,
			Reason: "does not match the certificate in " + f.CertFile + " or cannot be parsed: " + err.Error(), Err: err}
	}
	if now.After(pair.Leaf.NotAfter) {
		return &FileError{Role: RoleCert, File: f.CertFile,
			Reason: "expired at " + pair.Leaf.NotAfter.UTC().Format(time.RFC3339)}
	}
	m.Cert, m.Leaf = &pair, pair.Leaf
	m.raw[RoleCert], m.raw[RoleKey] = certPEM, keyPEM
	return nil
}

func (m *Material) loadCAs(f Files, _ time.Time) error {
	data, err := readBlocks(f, RoleCA, "CERTIFICATE")
	if err != nil {
		return err
	}
	m.Roots = x509.NewCertPool()
	for i, block := range blocksOf(data, "CERTIFICATE") {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return &FileError{Role: RoleCA, File: f.CAFile,
				Reason: fmt.Sprintf("certificate number %d cannot be parsed: %v", i+1, err), Err: err}
		}
		m.CAs = append(m.CAs, c)
		m.Roots.AddCert(c)
	}
	m.raw[RoleCA] = data
	return nil
}

func (m *Material) loadCRLs(f Files, _ time.Time) error {
	data, err := readBlocks(f, RoleCRL, "X509 CRL")
	if err != nil {
		return err
	}
	m.revoked = make(map[string]struct{})
	for i, block := range blocksOf(data, "X509 CRL") {
		rl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return &FileError{Role: RoleCRL, File: f.CRLFile,
				Reason: fmt.Sprintf("CRL number %d cannot be parsed: %v", i+1, err), Err: err}
		}
		if !m.signedByCA(rl) {
			return &FileError{Role: RoleCRL, File: f.CRLFile,
				Reason: fmt.Sprintf("CRL number %d (issuer %q) is not signed by a CA in %s", i+1, rl.Issuer, f.CAFile)}
		}
		for _, e := range rl.RevokedCertificateEntries {
			m.revoked[revocationKey(rl.RawIssuer, e.SerialNumber)] = struct{}{}
		}
		m.CRLs = append(m.CRLs, rl)
	}
	m.raw[RoleCRL] = data
	return nil
}

func (m *Material) signedByCA(rl *x509.RevocationList) bool {
	for _, ca := range m.CAs {
		if bytes.Equal(ca.RawSubject, rl.RawIssuer) && rl.CheckSignatureFrom(ca) == nil {
			return true
		}
	}
	return false
}

// readBlocks reads the file of role and checks that it holds at least one
// PEM block whose type ends in want ("PRIVATE KEY" covers PKCS#1, PKCS#8
// and EC keys alike).
func readBlocks(f Files, role Role, want string) ([]byte, error) {
	data, err := f.read(role)
	if err != nil {
		return nil, err
	}
	if len(blocksOf(data, want)) > 0 {
		return data, nil
	}
	if block, _ := pem.Decode(data); block == nil {
		return nil, &FileError{Role: role, File: f.path(role), Reason: "is not PEM"}
	}
	what := strings.ToLower(want)
	if want == "X509 CRL" {
		what = "CRL"
	}
	return nil, &FileError{Role: role, File: f.path(role), Reason: "holds no " + what + " (PEM, but not a " + what + ")"}
}

// blocksOf returns the PEM blocks of data whose type ends in want.
func blocksOf(data []byte, want string) []*pem.Block {
	var out []*pem.Block
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out
		}
		if strings.HasSuffix(block.Type, want) {
			out = append(out, block)
		}
	}
}
