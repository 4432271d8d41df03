package analytics_test

import (
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/pki"
)

// peerSeen records, for each command the service answers, the client
// certificate and the CA that verified it. (Reading the collections, as
// srv.Events does, uses the service bundle's own client certificate.)
type peerSeen struct {
	mu    sync.Mutex
	leafs []*x509.Certificate
	roots []*x509.Certificate
}

func (p *peerSeen) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
			chain := r.TLS.VerifiedChains[0]
			p.mu.Lock()
			p.leafs, p.roots = append(p.leafs, chain[0]), append(p.roots, chain[len(chain)-1])
			p.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// last returns the client certificate and CA of the latest request.
func (p *peerSeen) last() (leaf, root *x509.Certificate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leafs[len(p.leafs)-1], p.roots[len(p.roots)-1]
}

// serials returns the distinct client certificate serials seen.
func (p *peerSeen) serials() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool)
	for _, c := range p.leafs {
		out[c.SerialNumber.String()] = true
	}
	return out
}

// clientFiles copies the client's certificate, key and CA bundle of srv
// into a directory of the test's own, so that the test can renew them
// without touching the service's, and returns the SSL settings naming
// the copies.
func clientFiles(t *testing.T, srv *analyticstest.Server) *analytics.SSLOpts {
	t.Helper()
	from := srv.Config().SSL
	dir := t.TempDir()
	to := &analytics.SSLOpts{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), CAFile: filepath.Join(dir, "ca.pem")}
	for src, dst := range map[string]string{from.CertFile: to.CertFile, from.KeyFile: to.KeyFile, from.CAFile: to.CAFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dst, data, false)
	}
	return to
}

// writeFile replaces path by rename, or rewrites it in place.
func writeFile(t *testing.T, path string, data []byte, inPlace bool) {
	t.Helper()
	var err error
	if inPlace {
		err = os.WriteFile(path, data, 0o600)
	} else {
		err = pki.WriteFile(path, data, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// serviceCA is the CA of srv's certificates.
func serviceCA(t *testing.T, srv *analyticstest.Server) *pki.CA {
	t.Helper()
	dir := filepath.Join(srv.DataDir(), "pki")
	ca, err := pki.LoadCA(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// producer enqueues events numbered from 0 until stopped, keeping at most
// inFlight of them undelivered: a Reporter that delivers continuously.
type producer struct {
	slots chan struct{}
	done  chan struct{}
	count chan int
	once  sync.Once
	n     int
}

const inFlight = 100

func newProducer() *producer {
	return &producer{slots: make(chan struct{}, inFlight), done: make(chan struct{}), count: make(chan int)}
}

// options adds the OnOutcome hook that frees a slot per delivered event.
func (p *producer) options(o analytics.ReporterOptions) analytics.ReporterOptions {
	o.OnOutcome = func(analytics.Outcome) { <-p.slots }
	return o
}

func (p *producer) start(t *testing.T, r *analytics.Reporter) {
	t.Cleanup(func() { p.stop() })
	go func() {
		for n := 0; ; n++ {
			select {
			case p.slots <- struct{}{}:
			case <-p.done:
				p.count <- n
				return
			}
			if err := r.Event(analytics.Event{Name: "test.rotation", Metadata: analytics.Fields{"i": n}}); err != nil {
				t.Errorf("Event %d: %v", n, err)
			}
		}
	}()
}

// stop stops the producer and returns how many events it enqueued.
func (p *producer) stop() int {
	p.once.Do(func() {
		close(p.done)
		p.n = <-p.count
	})
	return p.n
}

func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestClientRenewalWhileReporting renews the client certificate files
// while a Reporter delivers, by rename and in place: nothing is lost or
// stored twice, the Reporter's stats show the new expiry, and the service
// sees the new certificate on the connections made after it was loaded.
func TestClientRenewalWhileReporting(t *testing.T) {
	for _, inPlace := range []bool{false, true} {
		t.Run(map[bool]string{false: "rename", true: "in place"}[inPlace], func(t *testing.T) {
			var seen peerSeen
			srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(seen.wrap))
			cfg := srv.Config()
			cfg.SSL = clientFiles(t, srv)
			cfg.CertCheckInterval = time.Nanosecond
			cfg.Logger = (&logBuffer{}).logger() // a half-renewed pair is logged at ERROR
			p := newProducer()
			r := newReporter(t, newClient(t, cfg), p.options(fastRetry(analytics.ReporterOptions{Workers: 2})))
			p.start(t, r)
			if _, err := srv.WaitEvents(waitCtx(t, 30*time.Second), 100); err != nil {
				t.Fatal(err)
			}
			renewed, err := serviceCA(t, srv).Issue(pki.ClientCommonName, nil, x509.ExtKeyUsageClientAuth, 400*24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, cfg.SSL.KeyFile, renewed.KeyPEM, inPlace)
			writeFile(t, cfg.SSL.CertFile, renewed.CertPEM, inPlace)
			n := len(srv.Events())
			if _, err := srv.WaitEvents(waitCtx(t, 30*time.Second), n+100); err != nil {
				t.Fatal(err)
			}
			n = p.stop()
			if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
				t.Fatal(err)
			}
			assertEachOnce(t, eventIndexes(t, srv.Events()), upTo(n))
			if got := r.Stats().CertExpiry; !got.Equal(renewed.Cert.NotAfter) {
				t.Errorf("Stats().CertExpiry = %v, want the renewed certificate's %v", got, renewed.Cert.NotAfter)
			}
			if leaf, _ := seen.last(); leaf.SerialNumber.Cmp(renewed.Cert.SerialNumber) != 0 {
				t.Errorf("the last request came with serial %v, want the renewed %v", leaf.SerialNumber, renewed.Cert.SerialNumber)
			}
			if s := seen.serials(); len(s) != 2 {
				t.Errorf("%d client certificates seen, want the old and the renewed: %v", len(s), s)
			}
		})
	}
}

// TestReporterRidesThroughCARotation rotates the CA as Puppet does while
// a Reporter delivers continuously: the new CA joins both bundles, both
// sides get certificates of the new CA, then the old CA leaves both
// bundles (the service is told at each step, as a SIGHUP would). Every
// event is stored once, and the last ones came with the new certificate.
func TestReporterRidesThroughCARotation(t *testing.T) {
	var seen peerSeen
	srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(seen.wrap))
	svc := srv.Config().SSL // the service's files are the bundle's: CA, and server cert next to it
	dir := filepath.Dir(svc.CAFile)
	cfg := srv.Config()
	cfg.SSL = clientFiles(t, srv)
	cfg.CertCheckInterval = time.Nanosecond
	p := newProducer()
	r := newReporter(t, newClient(t, cfg), p.options(fastRetry(analytics.ReporterOptions{Workers: 2})))
	p.start(t, r)
	old := serviceCA(t, srv)
	next, err := pki.NewCA("analytics throwaway CA (next)")
	if err != nil {
		t.Fatal(err)
	}
	server, err := next.Issue(pki.ServerCommonName, []string{"localhost", "127.0.0.1"}, x509.ExtKeyUsageServerAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	client, err := next.Issue(pki.ClientCommonName, nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	steps := []func(){
		func() { // overlap: both CAs trusted on both sides
			both := pki.EncodeCerts(old.Cert, next.Cert)
			writeFile(t, svc.CAFile, both, false)
			writeFile(t, cfg.SSL.CAFile, both, false)
		},
		func() { // new certificates on both sides
			writeFile(t, filepath.Join(dir, "server-key.pem"), server.KeyPEM, false)
			writeFile(t, filepath.Join(dir, "server.pem"), server.CertPEM, false)
			writeFile(t, cfg.SSL.KeyFile, client.KeyPEM, false)
			writeFile(t, cfg.SSL.CertFile, client.CertPEM, false)
			writeFile(t, svc.KeyFile, client.KeyPEM, false) // srv.Client's, reading the collections
			writeFile(t, svc.CertFile, client.CertPEM, false)
		},
		func() { // the old CA retired
			writeFile(t, svc.CAFile, pki.EncodeCerts(next.Cert), false)
			writeFile(t, cfg.SSL.CAFile, pki.EncodeCerts(next.Cert), false)
		},
	}
	for i, step := range steps {
		step()
		if err := srv.Server().ReloadCertificates(); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		n := len(srv.Events())
		if _, err := srv.WaitEvents(waitCtx(t, 30*time.Second), n+100); err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
	}
	n := p.stop()
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatal(err)
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), upTo(n))
	leaf, root := seen.last()
	if !root.Equal(next.Cert) || leaf.SerialNumber.Cmp(client.Cert.SerialNumber) != 0 {
		t.Errorf("last request: certificate %v of CA %q, want %v of the new CA", leaf.SerialNumber, root.Subject.CommonName, client.Cert.SerialNumber)
	}
}

// TestReporterParkingEndsWhenFilesAreFixed: a CA bundle that cannot
// verify the service parks the Reporter at its longest wait (ten minutes
// here); putting the right bundle in place ends the wait by itself.
func TestReporterParkingEndsWhenFilesAreFixed(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	cfg.SSL = clientFiles(t, srv)
	right, err := os.ReadFile(cfg.SSL.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := pki.NewCA("stranger")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg.SSL.CAFile, pki.EncodeCerts(stranger.Cert), false)
	cfg.CertCheckInterval = 20 * time.Millisecond
	log := newLogWaiter()
	cfg.Logger = log.logger()
	r := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Workers: 1, MaxBackoff: 10 * time.Minute,
		Backoff: analytics.ExponentialBackoff(time.Millisecond, 10*time.Millisecond)})
	for i := range 3 {
		if err := r.Event(analytics.Event{Name: "test.parked", Metadata: analytics.Fields{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	log.await(t, "configuration problem")
	if st := r.Stats(); st.QueueDepth != 3 {
		t.Fatalf("parked: %+v", st)
	}
	writeFile(t, cfg.SSL.CAFile, right, false)
	if err := r.Flush(waitCtx(t, 30*time.Second)); err != nil {
		t.Fatalf("the parked Reporter did not deliver once the CA bundle was right: %v", err)
	}
	assertEachOnce(t, eventIndexes(t, srv.Events()), upTo(3))
}

// logWaiter is a log sink a test can wait on.
type logWaiter struct {
	logBuffer
	mu      sync.Mutex
	changed chan struct{}
}

func newLogWaiter() *logWaiter { return &logWaiter{changed: make(chan struct{})} }

func (l *logWaiter) Write(p []byte) (int, error) {
	n, err := l.logBuffer.Write(p)
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
	return n, err
}

// await waits (at most 30 s) for a log line holding text.
func (l *logWaiter) await(t *testing.T, text string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		l.mu.Lock()
		changed := l.changed
		l.mu.Unlock()
		if strings.Contains(l.String(), text) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no log line with %q within 30 s:\n%s", text, l.String())
		}
	}
}

func (l *logWaiter) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestReporterReloadsAtFirstCertificateRefusal: the service stops trusting
// the client certificate in use (its CA bundle now holds only a new CA)
// while a renewed certificate of the new CA already waits in the client's
// files, which the client looks at only after a TLS failure. The refusal
// arrives as a TLS alert from the service; the Reporter takes it for a
// configuration problem, so the client loads its files at once and the
// first attempt delivers, with the new certificate, rather than waiting
// out the ten-minute backoff of a transient failure.
func TestReporterReloadsAtFirstCertificateRefusal(t *testing.T) {
	var seen peerSeen
	srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(seen.wrap))
	svc := srv.Config().SSL
	cfg := srv.Config()
	cfg.SSL = clientFiles(t, srv)
	cfg.CertCheckInterval = -1 // only a TLS failure makes the client look at its files
	outcomes := make(chan analytics.Outcome, 1)
	r := newReporter(t, newClient(t, cfg), analytics.ReporterOptions{Workers: 1, MaxBackoff: 10 * time.Minute,
		Backoff:   analytics.ExponentialBackoff(10*time.Minute, 10*time.Minute),
		OnOutcome: func(o analytics.Outcome) { outcomes <- o }})
	next, err := pki.NewCA("analytics throwaway CA (next)")
	if err != nil {
		t.Fatal(err)
	}
	renewed, err := next.Issue(pki.ClientCommonName, nil, x509.ExtKeyUsageClientAuth, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg.SSL.KeyFile, renewed.KeyPEM, false)
	writeFile(t, cfg.SSL.CertFile, renewed.CertPEM, false)
	writeFile(t, svc.CAFile, pki.EncodeCerts(next.Cert), false)
	if err := srv.Server().ReloadCertificates(); err != nil {
		t.Fatal(err)
	}
	if err := r.Event(analytics.Event{Name: "test.refused"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(waitCtx(t, 10*time.Second)); err != nil {
		t.Fatalf("the refused certificate was not replaced at once: %v", err)
	}
	if o := <-outcomes; o.Dropped != "" || o.Attempts != 1 {
		t.Errorf("outcome %+v, want delivered at the first attempt", o)
	}
	if leaf, root := seen.last(); !root.Equal(next.Cert) || leaf.SerialNumber.Cmp(renewed.Cert.SerialNumber) != 0 {
		t.Errorf("delivered with certificate %v of CA %q, want the renewed %v", leaf.SerialNumber, root.Subject.CommonName, renewed.Cert.SerialNumber)
	}
}
