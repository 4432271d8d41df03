package server

import "net/http"

// identity is who sent a request: authenticated when its TLS client
// certificate verified against the configured CA, named by the
// certificate's subject CN (Puppet's certname). Plain HTTP, a TLS client
// without a certificate, and a certificate without a CN are
// unauthenticated.
type identity struct {
	certname      string
	authenticated bool
	ambiguous     string // why a verified certificate names no one; see identifyState
}

// identify reads the identity of r from its TLS connection state.
func identify(r *http.Request) identity {
	if r.TLS == nil {
		return identity{}
	}
	return identifyState(r.TLS)
}

// String names the identity in messages.
func (id identity) String() string {
	if !id.authenticated {
		return "unauthenticated"
	}
	return id.certname
}
