package authz

import (
	"context"
	"crypto/tls"
	"encoding/asn1"
	"net/http"
)

// Identity is who sent a request: authenticated when its TLS client
// certificate verified against the configured CA, named by the
// certificate's one subject CN (Puppet's certname). Plain HTTP and a TLS
// client without a certificate are unauthenticated. A verified
// certificate whose subject has no CN, or more than one, names no one:
// it is unauthenticated and Ambiguous says why, and the service refuses
// its requests.
type Identity struct {
	Certname      string
	Authenticated bool
	Ambiguous     string // why a verified certificate names no one; "" when it does
}

// oidCommonName is the X.509 attribute type of a subject's CN.
var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// Identify reads the identity of r from its TLS connection state.
func Identify(r *http.Request) Identity {
	if r.TLS == nil {
		return Identity{}
	}
	return IdentifyConn(r.TLS)
}

// IdentifyConn names the client of a TLS connection: the verified
// certificate's one subject CN. crypto/x509 keeps the last of several
// CNs, which need not be the one a CA checked, so a subject with more
// than one is Ambiguous, as is one with none.
func IdentifyConn(cs *tls.ConnectionState) Identity {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}
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
		return Identity{Ambiguous: "its subject has no CN"}
	case n > 1:
		return Identity{Ambiguous: "its subject has more than one CN"}
	}
	return Identity{Certname: subject.CommonName, Authenticated: subject.CommonName != ""}
}

// String names the identity in messages: its certname, or
// "unauthenticated".
func (id Identity) String() string {
	if !id.Authenticated {
		return "unauthenticated"
	}
	return id.Certname
}

// Key names the identity as the holder of per-client shares and keys:
// "cn:" and its certname, or "" for every unauthenticated client
// together.
func (id Identity) Key() string {
	if !id.Authenticated {
		return ""
	}
	return "cn:" + id.Certname
}

// ctxKey is the context key of the Identity NewContext stores.
type ctxKey struct{}

// NewContext returns ctx carrying id, for code that sees a request's
// context but not the request.
func NewContext(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext is the Identity NewContext put in ctx; unauthenticated when
// there is none.
func FromContext(ctx context.Context) Identity {
	id, _ := ctx.Value(ctxKey{}).(Identity)
	return id
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
