package server

import (
	"crypto/x509"
	"encoding/pem"
	"os"
)

// authorizer compiles the configured rules, or the default ones.
func (c Config) authorizer() (*authorizer, error) {
	if c.Authorization != nil {
		return compileRules(c.Authorization)
	}
	var ops []string
	if name := c.ownCertname(); name != "" {
		ops = append(ops, name)
	}
	return compileRules(DefaultRules(c.Prefix, ops...))
}

// ownCertname is global.hostname, or else the CN of the server
// certificate ("" when neither is known). An unreadable certificate is
// reported by Listen, which loads it to serve.
func (c Config) ownCertname() string {
	if c.CheckIn.Certname != "" {
		return c.CheckIn.Certname
	}
	if c.TLS.CertFile == "" {
		return ""
	}
	data, err := os.ReadFile(c.TLS.CertFile)
	if err != nil {
		return ""
	}
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			return ""
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return ""
		}
		return cert.Subject.CommonName
	}
}
