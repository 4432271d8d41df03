package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/opsview"
)

// authorizer compiles the configured rules, or the default ones.
func (c Config) authorizer() (*authz.Authorizer, error) {
	if c.Authorization != nil {
		return authz.Compile(c.Authorization)
	}
	var ops []string
	if name := c.ownCertname(); name != "" {
		ops = append(ops, name)
	}
	return authz.Compile(DefaultRules(c.Prefix, ops...))
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

// forbidden answers a refused request with 403 naming the rule and the
// certname, and logs it once per (certname, rule) per interval.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, id authz.Identity, d authz.Decision) {
	rule := d.RuleName()
	s.refusals.Log(r.Context(), slog.LevelWarn, id.String()+"\x00"+rule, "request refused",
		"certname", id.String(), "rule", rule, "method", r.Method, "path", opsview.LoggedPath(r),
		"remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: KindForbidden,
		Msg:     d.Message(id),
		Details: map[string]string{"rule": rule, "certname": id.String()}})
}
