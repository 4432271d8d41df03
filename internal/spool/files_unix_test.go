//go:build unix

package spool

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The spool directory is refused when others may write to it, when it is
// a symbolic link (whose target is never chmod'ed) or owned by another
// user; one others may only read is made private.
func TestOpenChecksDirectory(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o770, 0o702} {
		dir := filepath.Join(t.TempDir(), "spool")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, mode)
		if s, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "writable by other users") {
			if s != nil {
				s.Close()
			}
			t.Errorf("mode %v: Open = %v, want refused as writable by others", mode, err)
		}
	}

	readable := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(readable, 0o755); err != nil {
		t.Fatal(err)
	}
	mustClose(t, mustOpen(t, readable, Options{}))
	if fi, _ := os.Stat(readable); fi.Mode().Perm() != 0o700 {
		t.Errorf("a readable directory was left %v, want 0700", fi.Mode().Perm())
	}

	target := filepath.Join(t.TempDir(), "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "spool")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(link, Options{}); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open(symlink) = %v, want refused", err)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
		t.Errorf("the link's target was chmod'ed to %v", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("files were created through the link: %v", entries)
	}

	if os.Geteuid() != 0 {
		return // only root can give a directory to another user
	}
	other := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(other, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(other, Options{}); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open(another user's directory) = %v, want refused", err)
	}
}

// Files planted in the spool directory cannot redirect a write: an ids.tmp
// link to a file outside is replaced, not written through; an ack file
// that is a link makes Ack fail without touching the target; a FIFO as the
// lock file fails Open at once instead of hanging it.
func TestPlantedFilesDoNotRedirect(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "precious")
	if err := os.WriteFile(outside, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	assertOutside := func() {
		t.Helper()
		if b, _ := os.ReadFile(outside); string(b) != "keep me" {
			t.Fatalf("the file outside the spool was written: %q", b)
		}
	}

	dir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, idsName+".tmp")); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, Options{})
	id := mustAppend(t, s, "first") // writes the ID bound through ids.tmp
	assertOutside()
	if fi, err := os.Lstat(filepath.Join(dir, idsName)); err != nil || !fi.Mode().IsRegular() {
		t.Fatalf("ids is not a regular file: %v %v", fi, err)
	}

	if err := os.Symlink(outside, filepath.Join(dir, ackName(s.active().base))); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(id); err == nil {
		t.Error("Ack wrote through a planted link")
	}
	assertOutside()
	s.Close()

	fifoDir := filepath.Join(t.TempDir(), "spool")
	if err := os.Mkdir(fifoDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(fifoDir, lockName), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(fifoDir, Options{}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with a FIFO as LOCK = %v, want refused", err)
	}
}
