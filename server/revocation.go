package server

import (
	"log/slog"
	"net/http"
	"time"
)

// CRLStatus describes a certificate revocation list in use (Status.CRLs).
type CRLStatus struct {
	Issuer     string    `json:"issuer"`      // the issuing CA's name
	Number     string    `json:"number"`      // the CRL number; "" when it has none
	NextUpdate time.Time `json:"next-update"` // when its issuer promised the next one
	// Stale is true once NextUpdate is past: certificates revoked since
	// are not known. It is logged at WARN once a day.
	Stale bool `json:"stale"`
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
	rl := s.peerCerts.Load()
	return rl != nil && rl.Current().Revoked(r.TLS.VerifiedChains[0]) != nil
}

// refuseRevoked answers a request on a connection whose certificate is
// revoked with 403, closes the connection after it, and logs it once per
// interval.
func (s *Server) refuseRevoked(w http.ResponseWriter, r *http.Request, id identity) {
	closeUnread(w, r)
	w.Header().Set("Connection", "close")
	s.refusals.Log(r.Context(), slog.LevelWarn, "revoked-certificate",
		"request refused: the client certificate is revoked by a CRL loaded since the connection was made",
		"certname", id.String(), "remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: KindForbidden,
		Msg: "Forbidden request: the client certificate is revoked."})
}

// crlStatus describes the CRLs of the TLS listener at now.
func (s *Server) crlStatus(now time.Time) []CRLStatus {
	rl := s.peerCerts.Load()
	if rl == nil {
		return nil
	}
	var out []CRLStatus
	for _, c := range rl.Current().CRLs {
		st := CRLStatus{Issuer: c.Issuer.String(), NextUpdate: c.NextUpdate,
			Stale: !c.NextUpdate.IsZero() && now.After(c.NextUpdate)}
		if c.Number != nil {
			st.Number = c.Number.String()
		}
		out = append(out, st)
	}
	return out
}
