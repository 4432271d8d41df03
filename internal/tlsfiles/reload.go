package tlsfiles

import (
	"bytes"
	"context"
	"crypto/x509"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/analytics-client/analytics/internal/logthrottle"
)

// DefaultInterval is how often, at most, a Reloader looks at its files
// when Options.Interval is zero.
const DefaultInterval = 5 * time.Second

// ExpiryWarning is how long before a certificate expires the Reloader
// starts warning about it, once a day.
const ExpiryWarning = 30 * 24 * time.Hour

// racyWindow is how recent a file's modification time may be for a later
// write to the same file to leave it unchanged (file systems stamp with a
// coarse clock, some to the second). Files modified that recently are read
// again at the next check even when their stamps have not moved.
const racyWindow = 2 * time.Second

// suspectGap is how soon after a look a handshake failure may bring the
// next one forward: failures a client can provoke at will must not make
// every handshake look at the files.
const suspectGap = time.Second

// Options configures a Reloader. The zero value is usable.
type Options struct {
	// Interval is how often, at most, the files are looked at during
	// handshakes. Zero means DefaultInterval; negative means only when
	// Reload is called.
	Interval time.Duration
	// Logger receives reload errors and expiry warnings. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// OnChange, when set, is called after new Material is in use, e.g. to
	// close connections that used the old. It runs under the Reloader's
	// lock: it must not call Reload.
	OnChange func(*Material)
}

// Reloader holds the Material in use and replaces it when the files
// change. It is safe for concurrent use.
type Reloader struct {
	files    Files
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	onChange func(*Material)
	expiry   *logthrottle.Logger

	cur    atomic.Pointer[Material]
	gen    atomic.Uint64 // Materials put in use after the first
	due    atomic.Int64  // UnixNano of the next routine check
	looked atomic.Int64  // UnixNano of the last check

	mu      sync.Mutex // serialises checks; guards the fields below
	stamps  stamps     // of the files behind cur
	racy    bool       // stamps may hide a write: read the files again
	failed  stamps     // of the files whose failure was last logged
	changed chan struct{}
}

// New loads the files; a problem is returned as a *FileError and nothing
// is started. A Reloader owns no goroutine: checks happen in the callers
// of Current and Reload.
func New(files Files, opts Options) (*Reloader, error) {
	r := &Reloader{files: files, interval: opts.Interval, log: opts.Logger, now: opts.Now,
		onChange: opts.OnChange, changed: make(chan struct{})}
	if r.interval == 0 {
		r.interval = DefaultInterval
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.expiry = logthrottle.New(r.log, 24*time.Hour, r.now)
	now := r.now()
	st := r.stat()
	m, err := Load(files, now)
	if err != nil {
		return nil, err
	}
	r.cur.Store(m)
	r.stamps, r.racy = st, st.racy(time.Now())
	r.due.Store(now.Add(r.interval).UnixNano())
	r.looked.Store(now.UnixNano())
	r.warnExpiry(m, now)
	return r, nil
}

// Interval is how often, at most, Current looks at the files; negative
// when only Reload does.
func (r *Reloader) Interval() time.Duration { return r.interval }

// Current returns the Material in use, first looking at the files when an
// interval has passed since the last look. While another goroutine is
// looking, Current does not wait for it.
func (r *Reloader) Current() *Material {
	r.Poll()
	return r.cur.Load()
}

// Poll looks at the files if an interval has passed since the last look,
// and otherwise costs a clock reading. Current calls it; a client calls it
// before each request too, so that connections kept alive (which make no
// handshake) notice new files.
func (r *Reloader) Poll() {
	if r.interval > 0 && r.now().UnixNano() >= r.due.Load() && r.mu.TryLock() {
		now := r.now()
		if now.UnixNano() >= r.due.Load() {
			_ = r.check(now, false)
		}
		r.mu.Unlock()
	}
}

// Suspect brings the next look forward to suspectGap after the last one:
// a handshake failed in a way new files could explain (a client
// certificate from a CA just added to the bundle, say). With a negative
// interval it does nothing.
func (r *Reloader) Suspect() {
	if r.interval <= 0 {
		return
	}
	if soon := r.looked.Load() + int64(suspectGap); soon < r.due.Load() {
		r.due.Store(soon)
	}
}

// Reload reads the files now (after a SIGHUP, or a handshake failure
// that a renewed certificate could explain), whatever their stamps say,
// and puts them in use if their contents changed. It returns the
// validation error of files that cannot be used; the Material in use is
// then kept.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.check(r.now(), true)
}

// Generation counts the times new Material was put in use.
func (r *Reloader) Generation() uint64 { return r.gen.Load() }

// Changed returns a channel that is closed the next time new Material is
// put in use.
func (r *Reloader) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

// check loads the files if their stamps moved (or may hide a write), or
// when forced; r.mu is held.
func (r *Reloader) check(now time.Time, force bool) error {
	r.due.Store(now.Add(r.interval).UnixNano())
	r.looked.Store(now.UnixNano())
	st := r.stat()
	if !force && st.equal(r.stamps) && !r.racy {
		r.warnExpiry(r.cur.Load(), now)
		return nil
	}
	m, err := Load(r.files, now)
	if err == nil {
		err = checkCRLOrder(r.files, r.cur.Load(), m)
	}
	if err != nil {
		if !st.equal(r.failed) {
			r.failed = st
			r.log.Error("tls: keeping the certificates in use: the files changed but cannot be used; trying again",
				"error", err, "retry_in", r.interval)
		}
		return err
	}
	r.failed = nil
	r.stamps, r.racy = st, st.racy(time.Now())
	old := r.cur.Load()
	if !m.sameFiles(old) {
		r.install(old, m)
	}
	r.warnExpiry(r.cur.Load(), now)
	return nil
}

// install puts m in use; r.mu is held.
func (r *Reloader) install(old, m *Material) {
	r.cur.Store(m)
	r.gen.Add(1)
	close(r.changed)
	r.changed = make(chan struct{})
	r.log.Info("tls: certificates reloaded", "cert", r.files.CertFile, "ca", r.files.CAFile,
		"crl", r.files.CRLFile, "expires", m.Expiry(), "previous_expires", old.Expiry())
	if r.onChange != nil {
		r.onChange(m)
	}
}

// warnExpiry logs, once a day per certificate, the certificates in use
// that have expired or expire within ExpiryWarning: the leaf, and the CAs
// of the bundle that issued it. Other roots of a bundle are not looked
// at: a system bundle holds long-expired roots that nothing uses. Each
// stale CRL is warned about too (warnStaleCRLs).
func (r *Reloader) warnExpiry(m *Material, now time.Time) {
	r.warnStaleCRLs(m, now)
	if m.Leaf == nil {
		return
	}
	r.warnCert("cert:", m.Leaf, now, "certificate", "renew it (the new file is loaded without a restart)", r.files.CertFile)
	for _, ca := range m.CAs {
		if bytes.Equal(ca.RawSubject, m.Leaf.RawIssuer) && m.Leaf.CheckSignatureFrom(ca) == nil {
			r.warnCert("ca:", ca, now, "CA certificate", "rotate the CA bundle", r.files.CAFile)
		}
	}
}

// warnCert warns, once a day, of c if it has expired or expires soon.
func (r *Reloader) warnCert(kind string, c *x509.Certificate, now time.Time, what, todo, file string) {
	left := c.NotAfter.Sub(now)
	if left >= ExpiryWarning {
		return
	}
	state := "expires soon"
	if left <= 0 {
		state = "has expired"
	}
	r.expiry.Log(context.Background(), slog.LevelWarn, kind+c.SerialNumber.String(),
		"tls: "+what+" "+state+"; "+todo, "file", file, "subject", c.Subject.String(), "expires", c.NotAfter)
}

// stamps are the identity, size and modification time of each file (nil
// for a file that is not named or cannot be stat'ed).
type stamps []os.FileInfo

func (r *Reloader) stat() stamps {
	st := make(stamps, 4)
	for role := RoleCert; role <= RoleCRL; role++ {
		if name := r.files.path(role); name != "" {
			st[role], _ = os.Stat(name)
		}
	}
	return st
}

func (s stamps) equal(o stamps) bool {
	if len(s) != len(o) {
		return false
	}
	for i, a := range s {
		b := o[i]
		if a == nil || b == nil {
			if a != b {
				return false
			}
			continue
		}
		if !os.SameFile(a, b) || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) {
			return false
		}
	}
	return true
}

// racy reports (against the real clock, which stamps the files) a file
// modified so recently that a further write in the same clock tick would
// not move its stamps.
func (s stamps) racy(now time.Time) bool {
	for _, fi := range s {
		if fi != nil && now.Sub(fi.ModTime()) < racyWindow {
			return true
		}
	}
	return false
}
