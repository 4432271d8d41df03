package analyticstest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// caSeen records the CA that verified each request's client certificate.
type caSeen struct {
	mu  sync.Mutex
	cas []*x509.Certificate
}

func (c *caSeen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			chain := r.TLS.VerifiedChains[0]
			c.mu.Lock()
			c.cas = append(c.cas, chain[len(chain)-1])
			c.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (c *caSeen) last() *x509.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cas[len(c.cas)-1]
}

// TestRotateCertificates: after a rotation the service presents and
// accepts only certificates of the new CA; Client keeps working, and our
// client, configured from Config, follows by itself.
func TestRotateCertificates(t *testing.T) {
	var seen caSeen
	srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(seen.wrap))
	cfg := srv.Config()
	cfg.CertCheckInterval = time.Nanosecond // look at the files before every request
	c, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.StoreEvent(ctx, analytics.Event{Name: "before.rotation"}); err != nil {
		t.Fatal(err)
	}
	oldCA := seen.last()
	oldClient := staticClient(t, cfg.SSL) // the files as they are now, read once
	cfg.CertCheckInterval = -1            // only a TLS failure makes this one look
	lazy, err := analytics.New(cfg)       // loads the files of before the rotation
	if err != nil {
		t.Fatal(err)
	}
	defer lazy.Close()

	srv.RotateCertificates()

	if _, err := c.StoreEvent(ctx, analytics.Event{Name: "after.rotation"}); err != nil {
		t.Fatalf("client configured from Config after the rotation: %v", err)
	}
	if seen.last().Equal(oldCA) {
		t.Error("the request after the rotation was verified by the old CA")
	}
	if _, err := lazy.StoreEvent(ctx, analytics.Event{Name: "after.failure"}); err != nil {
		t.Fatalf("a client holding the files of before the rotation: %v", err)
	}
	if n := len(srv.Events()); n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	if resp, err := oldClient.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Error("the service accepted a connection with the certificates of before the rotation")
	}
}

func staticClient(t *testing.T, ssl *analytics.SSLOpts) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(ssl.CertFile, ssl.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(ssl.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}
