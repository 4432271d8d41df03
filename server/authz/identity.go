package authz

import "net/http"

// Identity is who sent a request: authenticated when its TLS client
// certificate verified against the configured CA, named by the
// certificate's subject CN (Puppet's certname). Plain HTTP, a TLS client
// without a certificate, and a certificate without a CN are
// unauthenticated.
type Identity struct {
	Certname      string
	Authenticated bool
}

// Identify reads the identity of r from its TLS connection state.
func Identify(r *http.Request) Identity {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return Identity{}
	}
	cn := r.TLS.VerifiedChains[0][0].Subject.CommonName
	return Identity{Certname: cn, Authenticated: cn != ""}
}

// String names the identity in messages: its certname, or
// "unauthenticated".
func (id Identity) String() string {
	if !id.Authenticated {
		return "unauthenticated"
	}
	return id.Certname
}
