package authz_test

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server/authz"
)

// TestIdentify: only a verified chain authenticates, and only with a CN.
func TestIdentify(t *testing.T) {
	named := &x509.Certificate{Subject: pkix.Name{CommonName: "agent.example.com"}}
	unnamed := &x509.Certificate{Subject: pkix.Name{Organization: []string{"no CN"}}}
	cases := []struct {
		name  string
		state *tls.ConnectionState
		want  authz.Identity
	}{
		{"plain HTTP", nil, authz.Identity{}},
		{"no certificate", &tls.ConnectionState{}, authz.Identity{}},
		{"sent but not verified", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{named}}, authz.Identity{}},
		{"verified without a CN", &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{unnamed}}}, authz.Identity{}},
		{"verified", &tls.ConnectionState{PeerCertificates: []*x509.Certificate{named}, VerifiedChains: [][]*x509.Certificate{{named}}},
			authz.Identity{Certname: "agent.example.com", Authenticated: true}},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = tc.state
		if got := authz.Identify(r); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
