package authz_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

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
		{"verified without a CN", &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{unnamed}}}, authz.Identity{Ambiguous: "its subject has no CN"}},
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

// TestIdentifyParsedSubjects: a parsed certificate names its client by its
// one CN; two CNs, whichever crypto/x509 keeps, name no one (issue 17.4).
func TestIdentifyParsedSubjects(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	parsed := func(subject pkix.Name) *x509.Certificate {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: subject, NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cn := asn1.ObjectIdentifier{2, 5, 4, 3}
	one := parsed(pkix.Name{CommonName: "agent4.example.com"})
	two := parsed(pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{{Type: cn, Value: "agent4.example.com"}, {Type: cn, Value: "puppet.example.com"}}})
	if id := authz.IdentifyConn(&tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{one}}}); id.Certname != "agent4.example.com" || !id.Authenticated {
		t.Errorf("one CN: %+v", id)
	}
	if id := authz.IdentifyConn(&tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{two}}}); id.Authenticated || id.Ambiguous == "" || id.Key() != "" {
		t.Errorf("two CNs: %+v, want ambiguous and unauthenticated", id)
	}
}
