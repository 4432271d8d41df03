package analytics

import (
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
)

// A TLS handshake may take as long as the call it belongs to: Timeout
// bounds the whole call, and no shorter fixed limit cuts a handshake on a
// slow link (or a loaded machine) short.
func TestHandshakeGetsTheCallsTimeout(t *testing.T) {
	b, err := pki.Generate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, timeout := range []time.Duration{0, 2 * time.Second, time.Minute} {
		c, err := New(Config{URL: "https://127.0.0.1:1/analytics", Timeout: timeout,
			SSL: &SSLOpts{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}})
		if err != nil {
			t.Fatal(err)
		}
		want := timeout
		if want == 0 {
			want = DefaultTimeout
		}
		if got := c.own.TLSHandshakeTimeout; got != want {
			t.Errorf("Timeout %v: handshakes get %v, want %v", timeout, got, want)
		}
		c.Close()
	}
}
