package spool

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs"
)

// Without an Options.Fsync the spool fsyncs with the file's own Sync (on
// disk, logfs's fdatasync):
// tests replace it to observe fsyncs, so this is what holds the default.
func TestDefaultFsyncIsReal(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if reflect.ValueOf(o.Fsync).Pointer() != reflect.ValueOf(logfs.File.Sync).Pointer() {
		t.Fatal("the default Fsync is not logfs.File.Sync")
	}
	// And an fsync through it reaches the kernel: on a pipe, fsync fails
	// with EINVAL, which a no-op would not report.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := o.Fsync(logfs.NewFile(w)); err == nil {
		t.Error("the default Fsync of a pipe succeeded: it did not call fsync")
	}
	// The spool uses the default when none is given.
	s := mustOpen(t, filepath.Join(t.TempDir(), "s"), Options{})
	defer s.Close()
	if reflect.ValueOf(s.opts.Fsync).Pointer() != reflect.ValueOf(logfs.File.Sync).Pointer() {
		t.Error("Open does not use the real fsync by default")
	}
}
