package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/analytics-client/analytics"
)

// tlsError is a handshake that failed over a certificate: the service is
// there, but this program refused its certificate or it refused ours. Its
// message says what to fix, naming the flag or file; the TLS error stays
// in the chain.
type tlsError struct {
	hint  string
	cause string // what TLS said, without the URL and operation
	err   error
}

func (e *tlsError) Error() string {
	return "analytics: TLS: " + e.hint + " (" + e.cause + ")"
}

func (e *tlsError) Unwrap() error { return e.err }

// innermost is the message of the deepest error of err's chain that
// still says something, without the URL and operation the hint names.
func innermost(err error) string {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return cve.Err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}

// Alerts a service sends when it refuses the client certificate (RFC
// 8446 section 6.2). Over TCP, crypto/tls reports a received alert as a
// *net.OpError "remote error" whose message is the alert's.
var (
	alertBadCert      = tls.AlertError(42)
	alertUnsupported  = tls.AlertError(43)
	alertRevoked      = tls.AlertError(44)
	alertExpired      = tls.AlertError(45)
	alertUnknownCert  = tls.AlertError(46)
	alertUnknownCA    = tls.AlertError(48)
	alertCertRequired = tls.AlertError(116)
)

// remoteAlert returns the alert the service sent, if err is one.
func remoteAlert(err error) (tls.AlertError, bool) {
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "remote error" || oe.Err == nil {
		return 0, false
	}
	for _, a := range []tls.AlertError{alertBadCert, alertUnsupported, alertRevoked, alertExpired, alertUnknownCert,
		alertUnknownCA, alertCertRequired} {
		if oe.Err.Error() == a.Error() {
			return a, true
		}
	}
	return 0, false
}

// plainHTTPAnswer is how net/http reports a plain HTTP service at an
// https URL (it has no error type for it).
const plainHTTPAnswer = "server gave HTTP response to HTTPS client"

// tlsFailure returns the *tlsError for err when it is a certificate
// failure of the handshake, nil otherwise. r says where each setting came
// from.
func tlsFailure(err error, r resolved) error {
	hint := tlsHint(err, r)
	if hint == "" {
		return nil
	}
	cause := innermost(err)
	if strings.Contains(err.Error(), plainHTTPAnswer) {
		cause = plainHTTPAnswer
	}
	return &tlsError{hint: hint, cause: cause, err: err}
}

func tlsHint(err error, r resolved) string {
	var (
		re  *analytics.RevokedError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &re):
		return re.Error() + ": the service needs a new certificate from its CA (or, if the CRL is wrong, replace it)"
	case errors.As(err, &ua):
		issuer := ""
		if ua.Cert != nil {
			issuer = fmt.Sprintf(" (issued by %q)", ua.Cert.Issuer.String())
		}
		return fmt.Sprintf("the service's certificate%s is not signed by the CA in %s: give the CA bundle that signed it", issuer, r.from.ca)
	case errors.As(err, &he):
		return fmt.Sprintf("the service's certificate is for %s, not %s: use one of those names in %s",
			certNames(he.Certificate), he.Host, r.from.url)
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		return fmt.Sprintf("the service's certificate %q is valid from %s to %s, and it is now %s: the service needs a renewed certificate (or this computer's clock is wrong)",
			ci.Cert.Subject.String(), stamp(ci.Cert.NotBefore), stamp(ci.Cert.NotAfter), stamp(time.Now()))
	case errors.As(err, &ci):
		return fmt.Sprintf("the service's certificate %q cannot be used: %s", ci.Cert.Subject.String(), ci.Error())
	case errors.As(err, &rhe) || strings.Contains(err.Error(), plainHTTPAnswer):
		return fmt.Sprintf("the service at %s does not speak TLS: if it serves plain HTTP, write http:// in %s", host(r.cfg.URL), r.from.url)
	}
	a, ok := remoteAlert(err)
	if !ok {
		return ""
	}
	cert := r.from.cert
	switch a {
	case alertUnknownCA:
		return fmt.Sprintf("the service refused the client certificate in %s: it is not signed by a CA the service trusts; use a certificate from the service's CA", cert)
	case alertExpired:
		return fmt.Sprintf("the service refused the client certificate in %s as expired: renew it", cert)
	case alertRevoked:
		return fmt.Sprintf("the service refused the client certificate in %s: the service's CRL revokes it; get a new one from the CA", cert)
	case alertCertRequired:
		return "the service requires a client certificate: give --ssl-cert and --ssl-key"
	default:
		return fmt.Sprintf("the service refused the client certificate in %s (%s): check that it is the one its CA issued for this host", cert, a.Error())
	}
}

// certNames lists the names a certificate is valid for.
func certNames(c *x509.Certificate) string {
	if c == nil {
		return "other names"
	}
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return "no host name (subject " + c.Subject.String() + ")"
	}
	return strings.Join(names, ", ")
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// host is the host:port of raw, or raw.
func host(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
