package tlsfiles_test

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// BenchmarkPoll is what a request pays for the reload check between
// looks at the files: a clock reading and an atomic load.
func BenchmarkPoll(b *testing.B) {
	f := newFixture(b)
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Poll()
	}
}

// BenchmarkLook is one look at unchanged files (three stat calls): what
// a handshake or request pays once per interval.
func BenchmarkLook(b *testing.B) { benchmarkLook(b, false) }

// BenchmarkReload is an explicit Reload (SIGHUP, a TLS failure): the
// files are read and parsed whatever their stamps.
func BenchmarkReload(b *testing.B) { benchmarkLook(b, true) }

func benchmarkLook(b *testing.B, reload bool) {
	f := newFixture(b)
	old := time.Now().Add(-time.Hour) // files written long ago: no second look at their bytes
	for _, p := range []string{f.files.CertFile, f.files.KeyFile, f.files.CAFile} {
		if err := os.Chtimes(p, old, old); err != nil {
			b.Fatal(err)
		}
	}
	r, err := tlsfiles.New(f.files, tlsfiles.Options{Interval: time.Nanosecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !reload {
			r.Poll() // always due
		} else if err := r.Reload(); err != nil {
			b.Fatal(err)
		}
	}
	if r.Generation() != 0 {
		b.Fatal("unchanged files were put in use again")
	}
}
