//go:build unix

package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
)

// TestDataDirRefused: a data directory others may write to or another
// user owns, and a store path that is a symbolic link or a named pipe, are
// refused at New with the path and the reason; the link's target is left
// as it was and the pipe does not hang the start (issue 17.8).
func TestDataDirRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		prepare func(t *testing.T, dir string)
		want    string
	}{
		"world-writable": {func(t *testing.T, dir string) { chmod(t, dir, 0o777) }, "may be written by other users"},
		"group-writable": {func(t *testing.T, dir string) { chmod(t, dir, 0o770) }, "may be written by other users"},
		"another owner": {func(t *testing.T, dir string) {
			if os.Geteuid() != 0 {
				t.Skip("changing a directory's owner needs root")
			}
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "is owned by user 65534"},
		"symlink": {func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "elsewhere")
			if err := os.WriteFile(target, []byte("not a store"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, filepath.Join(dir, boltstore.FileName)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if b, err := os.ReadFile(target); err != nil || string(b) != "not a store" {
					t.Errorf("the link's target changed: %q %v", b, err)
				}
			})
		}, "is not a regular file (a symbolic link)"},
		"fifo": {func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, boltstore.FileName), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file (a named pipe)"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.prepare(t, dir)
			done := make(chan error, 1)
			go func() {
				srv, err := server.New(server.Config{DataDir: dir, Logger: discard(), CheckIn: server.CheckInConfig{Interval: -1}})
				if err == nil {
					_ = srv.Close(t.Context())
				}
				done <- err
			}()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("New did not return within 10 s")
			}
			var ce *server.ConfigError
			if !errors.As(err, &ce) || ce.Field != "DataDir" || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), dir) {
				t.Errorf("New: %v, want a DataDir error naming %s and %q", err, dir, tc.want)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
