package analytics

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"
)

// Only the alerts that refuse a certificate make a configuration problem;
// a received alert comes as a *net.OpError "remote error" (see the real
// refusal in TestReporterReloadsAtFirstCertificateRefusal), whose message
// is all that tells the alert.
func TestIsCertificateAlert(t *testing.T) {
	received := func(msg string) error {
		return fmt.Errorf("post: %w", &net.OpError{Op: "remote error", Err: errors.New(msg)})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{received("tls: bad certificate"), true},
		{received("tls: unknown certificate authority"), true},
		{received("tls: certificate required"), true},
		{received("tls: internal error"), false},
		{received("tls: handshake failure"), false},
		{&net.OpError{Op: "dial", Err: errors.New("tls: bad certificate")}, false},
		{tls.AlertError(42), true},
		{tls.AlertError(80), false},
		{errors.New("remote error: tls: bad certificate"), false},
	} {
		if got := isCertificateAlert(tc.err); got != tc.want {
			t.Errorf("isCertificateAlert(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
