package server

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http/httptest"
	"testing"
)

// TestIdentify: only a verified chain authenticates, and only with a CN.
func TestIdentify(t *testing.T) {
	named := &x509.Certificate{Subject: pkix.Name{CommonName: "agent.example.com"}}
	unnamed := &x509.Certificate{Subject: pkix.Name{Organization: []string{"no CN"}}}
	cases := []struct {
		name  string
		state *tls.ConnectionState
		want  identity
	}{
		{"plain HTTP", nil, identity{}},
		{"no certificate", &tls.ConnectionState{}, identity{}},
		{"sent but not verified", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{named}}, identity{}},
		{"verified without a CN", &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{unnamed}}}, identity{ambiguous: "its subject has no CN"}},
		{"verified", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{named}, VerifiedChains: [][]*x509.Certificate{{named}}},
			identity{certname: "agent.example.com", authenticated: true}},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tc.state
		if got := identify(r); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
