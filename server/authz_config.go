package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/wire"
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
	limits.CloseUnread(w, r)
	s.refusals.Log(r.Context(), slog.LevelWarn, id.String()+"\x00"+rule, "request refused",
		"certname", id.String(), "rule", rule, "method", r.Method, "path", opsview.LoggedPath(r),
		"remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: wire.ErrorForbidden,
		Msg:     d.Message(id),
		Details: map[string]string{"rule": rule, "certname": id.String()}})
}

// peerRevoked reports whether a CRL in use now revokes the certificate of
// r's connection. The handshake checked it against the CRLs of its
// moment; a connection kept open outlives them, so every request checks
// again, and a CRL revoking an operator reaches the connections it
// already has.
func (s *Server) peerRevoked(r *http.Request) bool {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
		return false
	}
	rl := s.certificates()
	return rl != nil && rl.Current().Revoked(r.TLS.VerifiedChains[0]) != nil
}

// refuseCertificate answers with 403 a request whose certificate names no
// one (authz.Identity.Ambiguous) or was revoked since its connection was
// made (peerRevoked, then the connection is closed after the answer), and
// logs it once per interval.
func (s *Server) refuseCertificate(w http.ResponseWriter, r *http.Request, id authz.Identity) {
	limits.CloseUnread(w, r)
	key, msg, why := "ambiguous-certificate", "request refused: the client certificate is ambiguous",
		"names no one client ("+id.Ambiguous+")"
	if id.Ambiguous == "" {
		w.Header().Set("Connection", "close")
		key, msg, why = "revoked-certificate",
			"request refused: the client certificate is revoked by a CRL loaded since the connection was made", "is revoked"
	}
	s.refusals.Log(r.Context(), slog.LevelWarn, key, msg, "certname", id.String(), "reason", id.Ambiguous,
		"subject", r.TLS.VerifiedChains[0][0].Subject.String(), "remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: wire.ErrorForbidden,
		Msg: "Forbidden request: the client certificate " + why + "."})
}
