package server

import (
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
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
// certificate ("" when neither is known). A certificate that cannot be
// loaded is reported by Listen, which loads it to serve.
func (c Config) ownCertname() string {
	if c.CheckIn.Certname != "" {
		return c.CheckIn.Certname
	}
	if c.TLS.CertFile == "" {
		return ""
	}
	m, err := tlsfiles.Load(tlsfiles.Files{CertFile: c.TLS.CertFile, KeyFile: c.TLS.KeyFile}, time.Now())
	if err != nil || m.Leaf == nil {
		return ""
	}
	return m.Leaf.Subject.CommonName
}
