package server

import (
	"crypto/tls"
	"encoding/asn1"
	"log/slog"
	"net/http"
)

// oidCommonName is the X.509 attribute type of a subject's CN.
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// identifyState names the client of a TLS connection: the verified
// certificate's one subject CN. A subject with more than one CN, or none,
// is ambiguous: crypto/x509 keeps the last of several, which need not be
// the one a CA checked, so such a certificate names no one and its
// requests are refused (see refuseAmbiguous).
func identifyState(cs *tls.ConnectionState) identity {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return identity{}
	}
	subject := cs.VerifiedChains[0][0].Subject
	n := 0
	for _, a := range subject.Names {
		if a.Type.Equal(oidCommonName) {
			n++
		}
	}
	if len(subject.Names) == 0 && subject.CommonName != "" {
		n = 1 // a certificate built, not parsed: Names is filled by parsing
	}
	switch {
	case n == 0:
		return identity{ambiguous: "its subject has no CN"}
	case n > 1:
		return identity{ambiguous: "its subject has more than one CN"}
	}
	return identity{certname: subject.CommonName, authenticated: subject.CommonName != ""}
}

// refuseAmbiguous answers a request whose certificate names no one
// (identity.ambiguous) with 403, and logs it once per interval.
func (s *Server) refuseAmbiguous(w http.ResponseWriter, r *http.Request, id identity) {
	closeUnread(w, r)
	s.refusals.Log(r.Context(), slog.LevelWarn, "ambiguous-certificate",
		"request refused: the client certificate is ambiguous", "reason", id.ambiguous,
		"subject", r.TLS.VerifiedChains[0][0].Subject.String(), "remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: KindForbidden,
		Msg: "Forbidden request: the client certificate names no one client (" + id.ambiguous + ")."})
}

// asciiLower lowers the ASCII letters of a name and leaves every other
// byte as it is. Certnames compare byte for byte with ASCII case folding
// at most, as DNS names do: Unicode folding would let a name with a
// Kelvin sign (U+212A) match one with a k.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
