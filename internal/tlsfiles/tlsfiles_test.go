package tlsfiles_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// fixture is a CA and one certificate with its key, as files.
type fixture struct {
	ca    *pki.CA
	files tlsfiles.Files
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ca, err := pki.NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &fixture{ca: ca, files: tlsfiles.Files{CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile: filepath.Join(dir, "key.pem"), CAFile: filepath.Join(dir, "ca.pem")}}
	write(t, f.files.CAFile, pki.EncodeCerts(ca.Cert))
	f.renew(t, 0)
	return f
}

// renew writes a new certificate and key (by rename), valid for validity.
func (f *fixture) renew(t testing.TB, validity time.Duration) *pki.Pair {
	t.Helper()
	p := f.issue(t, validity)
	write(t, f.files.KeyFile, p.KeyPEM)
	write(t, f.files.CertFile, p.CertPEM)
	return p
}

func (f *fixture) issue(t testing.TB, validity time.Duration) *pki.Pair {
	t.Helper()
	p, err := f.ca.Issue("host.example", []string{"host.example"}, x509.ExtKeyUsageClientAuth, validity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := pki.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadNamesTheFileAndTheProblem(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	write(t, notPEM, []byte("hello"))
	expired := filepath.Join(dir, "expired.pem")
	p := f.issue(t, time.Hour)
	write(t, expired, p.CertPEM)
	expiredKey := filepath.Join(dir, "expired-key.pem")
	write(t, expiredKey, p.KeyPEM)
	foreignCRL := filepath.Join(dir, "crl.pem")
	crl, _ := other.ca.CRL()
	write(t, foreignCRL, crl)
	badCA := filepath.Join(dir, "bad-ca.pem")
	write(t, badCA, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))

	with := func(edit func(*tlsfiles.Files)) tlsfiles.Files { g := f.files; edit(&g); return g }
	for name, tc := range map[string]struct {
		files  tlsfiles.Files
		now    time.Time
		role   tlsfiles.Role
		file   string
		reason string
	}{
		"missing cert":      {with(func(g *tlsfiles.Files) { g.CertFile = filepath.Join(dir, "none") }), time.Now(), tlsfiles.RoleCert, filepath.Join(dir, "none"), "does not exist"},
		"cert not PEM":      {with(func(g *tlsfiles.Files) { g.CertFile = notPEM }), time.Now(), tlsfiles.RoleCert, notPEM, "is not PEM"},
		"key is a cert":     {with(func(g *tlsfiles.Files) { g.KeyFile = f.files.CertFile }), time.Now(), tlsfiles.RoleKey, f.files.CertFile, "holds no private key"},
		"key of another":    {with(func(g *tlsfiles.Files) { g.KeyFile = other.files.KeyFile }), time.Now(), tlsfiles.RoleKey, other.files.KeyFile, "does not match the certificate in " + f.files.CertFile},
		"no key":            {with(func(g *tlsfiles.Files) { g.KeyFile = "" }), time.Now(), tlsfiles.RoleKey, "", "is required"},
		"expired":           {with(func(g *tlsfiles.Files) { g.CertFile, g.KeyFile = expired, expiredKey }), time.Now().Add(2 * time.Hour), tlsfiles.RoleCert, expired, "expired at"},
		"CA unparsable":     {with(func(g *tlsfiles.Files) { g.CAFile = badCA }), time.Now(), tlsfiles.RoleCA, badCA, "certificate number 1 cannot be parsed"},
		"CA is a key":       {with(func(g *tlsfiles.Files) { g.CAFile = f.files.KeyFile }), time.Now(), tlsfiles.RoleCA, f.files.KeyFile, "holds no certificate"},
		"CRL of another CA": {with(func(g *tlsfiles.Files) { g.CRLFile = foreignCRL }), time.Now(), tlsfiles.RoleCRL, foreignCRL, "is not signed by a CA in " + f.files.CAFile},
		"CRL without CA":    {with(func(g *tlsfiles.Files) { g.CAFile, g.CRLFile = "", foreignCRL }), time.Now(), tlsfiles.RoleCA, "", "is required when a CRL is set"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tlsfiles.Load(tc.files, tc.now)
			var fe *tlsfiles.FileError
			if !errors.As(err, &fe) || fe.Role != tc.role || fe.File != tc.file || !strings.Contains(fe.Reason, tc.reason) {
				t.Fatalf("Load: %v, want %v %q: %q", err, tc.role, tc.file, tc.reason)
			}
			if tc.file != "" && !strings.Contains(err.Error(), tc.file) {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
}

// TestLooksAtMostOncePerInterval: new files are not seen before the
// interval has passed, and are at the first handshake after it.
func TestLooksAtMostOncePerInterval(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: time.Now()}
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: time.Minute, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	first := r.Current()
	changed := r.Changed()
	renewed := f.renew(t, 0)
	clk.add(59 * time.Second)
	if r.Current() != first {
		t.Fatal("files looked at before the interval passed")
	}
	clk.add(time.Second)
	if got := r.Current(); got.Leaf.SerialNumber.Cmp(renewed.Cert.SerialNumber) != 0 {
		t.Fatal("renewed certificate not loaded once the interval passed")
	}
	select {
	case <-changed:
	default:
		t.Error("Changed not closed by the reload")
	}
	if r.Generation() != 1 {
		t.Errorf("generation %d, want 1", r.Generation())
	}
}

// TestHalfWrittenKeyKeepsTheOldAndRecovers: an in-place writer caught
// half way leaves the material in use, one ERROR line however often the
// files are looked at, and the completed file is loaded.
func TestHalfWrittenKeyKeepsTheOldAndRecovers(t *testing.T) {
	f := newFixture(t)
	var log logSink
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: -1, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	old := r.Current()
	next := f.issue(t, 0)
	if err := os.WriteFile(f.files.CertFile, next.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.files.KeyFile, next.KeyPEM[:len(next.KeyPEM)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		var fe *tlsfiles.FileError
		if err := r.Reload(); !errors.As(err, &fe) || fe.Role != tlsfiles.RoleKey {
			t.Fatalf("Reload with half a key: %v", err)
		}
		if r.Current() != old {
			t.Fatal("half-written key replaced the material in use")
		}
	}
	if n := log.count("level=ERROR"); n != 1 {
		t.Errorf("%d ERROR lines for one change, want 1:\n%s", n, log.String())
	}
	if err := os.WriteFile(f.files.KeyFile, next.KeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err != nil {
		t.Fatalf("Reload with the completed key: %v", err)
	}
	if r.Current().Leaf.SerialNumber.Cmp(next.Cert.SerialNumber) != 0 {
		t.Error("completed files not loaded")
	}
	if n := log.count("level=ERROR"); n != 1 {
		t.Errorf("ERROR lines after recovery: %d", n)
	}
}

// TestRewriteInTheSameTick: a rewrite that leaves size and modification
// time as they were (same-size PEM, coarse file system clock) is still
// seen while the files are recent.
func TestRewriteInTheSameTick(t *testing.T) {
	f := newFixture(t)
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Certificates vary in length by a byte or two (DER integers): issue
	// until one has the length of the one in use.
	old, _ := os.ReadFile(f.files.CertFile)
	next := f.issue(t, 0)
	for i := 0; len(next.CertPEM) != len(old) && i < 200; i++ {
		next = f.issue(t, 0)
	}
	for _, w := range []struct {
		path string
		data []byte
	}{{f.files.CertFile, next.CertPEM}, {f.files.KeyFile, next.KeyPEM}} {
		fi, err := os.Stat(w.path)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(w.data)) != fi.Size() {
			t.Skipf("%s: new PEM is %d bytes, old %d: not a same-size rewrite", w.path, len(w.data), fi.Size())
		}
		if err := os.WriteFile(w.path, w.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(w.path, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if r.Current().Leaf.SerialNumber.Cmp(next.Cert.SerialNumber) != 0 {
		t.Error("same-size rewrite with unchanged stamps not loaded")
	}
}

// TestTouchIsNotAChange: files rewritten with the same bytes do not count
// as new material (no connections are closed for it).
func TestTouchIsNotAChange(t *testing.T) {
	f := newFixture(t)
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(f.files.CertFile)
	write(t, f.files.CertFile, data)
	if err := r.Reload(); err != nil || r.Generation() != 0 {
		t.Errorf("Reload: %v, generation %d", err, r.Generation())
	}
}

// TestExpiryWarnedOnceADay: a certificate expiring within 30 days is
// warned about when loaded and then once a day, however often the files
// are looked at.
func TestExpiryWarnedOnceADay(t *testing.T) {
	f := newFixture(t)
	f.renew(t, 10*24*time.Hour)
	var log logSink
	clk := &clock{now: time.Now()}
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: time.Second, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if n := log.count("level=WARN"); n != 1 || log.count("expires soon") != 1 {
		t.Fatalf("at load: %d WARN lines\n%s", n, log.String())
	}
	for range 200 { // 33 hours and 20 minutes
		clk.add(10 * time.Minute)
		r.Current()
	}
	if n := log.count("level=WARN"); n != 2 {
		t.Errorf("%d WARN lines over 33 hours, want 2:\n%s", n, log.String())
	}
	if want := r.Current().Leaf.NotAfter; r.Current().Expiry() != want {
		t.Errorf("Expiry %v, want %v", r.Current().Expiry(), want)
	}
}

func TestNoWarningForALongLivedCertificate(t *testing.T) {
	f := newFixture(t)
	var log logSink
	if _, err := tlsfiles.New(f.files, tlsfiles.Options{Logger: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
		t.Fatal(err)
	}
	if log.count("level=WARN") != 0 {
		t.Errorf("warning for a five-year certificate:\n%s", log.String())
	}
}

// TestExpiringCAWarned: a CA of the bundle that expires within 30 days is
// warned about too.
func TestExpiringCAWarned(t *testing.T) {
	f := newFixture(t)
	f.renew(t, 11*365*24*time.Hour) // outlives the CA's ten years
	var log logSink
	soon := f.ca.Cert.NotAfter.Add(-10 * 24 * time.Hour)
	if _, err := tlsfiles.New(f.files, tlsfiles.Options{Now: func() time.Time { return soon },
		Logger: slog.New(slog.NewTextHandler(&log, nil))}); err != nil {
		t.Fatal(err)
	}
	if log.count("level=WARN") != 1 || log.count("CA certificate expires soon") != 1 {
		t.Errorf("want one WARN about the CA:\n%s", log.String())
	}
}

// TestSuspectBringsTheLookForward: after a handshake failure the files are
// looked at a second after the last look instead of a whole interval.
func TestSuspectBringsTheLookForward(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: time.Now()}
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: time.Hour, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	renewed := f.renew(t, 0)
	r.Suspect()
	clk.add(999 * time.Millisecond)
	if r.Current().Leaf.SerialNumber.Cmp(renewed.Cert.SerialNumber) == 0 {
		t.Fatal("looked at the files less than a second after the last look")
	}
	clk.add(time.Millisecond)
	if r.Current().Leaf.SerialNumber.Cmp(renewed.Cert.SerialNumber) != 0 {
		t.Fatal("a suspected failure did not bring the look forward")
	}
}
