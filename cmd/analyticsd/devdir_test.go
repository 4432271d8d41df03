//go:build unix

package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
)

// TestDevDataDirCreatedPrivate: a missing data directory is created with
// mode 0700 whatever the umask.
func TestDevDataDirCreatedPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "a", "dev")
	if err := privateDir(dir); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o700 {
		t.Errorf("mode %04o, want 0700", info.Mode().Perm())
	}
}

// TestDevDataDirRefused: the development service refuses a data directory
// others could write to or that belongs to someone else, before it creates
// or reads anything in it.
func TestDevDataDirRefused(t *testing.T) {
	cases := map[string]struct {
		setup func(t *testing.T, dir string)
		want  string
	}{
		"group-writable": {func(t *testing.T, dir string) { chmod(t, dir, 0o770) }, "is writable by group or others (mode 0770)"},
		"world-writable": {func(t *testing.T, dir string) { chmod(t, dir, 0o707) }, "is writable by group or others (mode 0707)"},
		"another user's": {func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("giving a directory to another user needs root")
			}
			if err := os.Chown(dir, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "belongs to another user"},
		"a file": {func(t *testing.T, dir string) {
			if err := os.Remove(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a directory"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dev")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			tc.setup(t, dir)
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), dir) || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errb.String(), tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, devenv.PKIDir)); err == nil {
				t.Error("certificates were written in a refused directory")
			}
		})
	}
}

func chmod(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

// TestDevNoCacheDir: with no user cache directory and no --data-dir the
// development service stops with an error instead of using a fixed name in
// the shared temporary directory.
func TestDevNoCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--listen", "127.0.0.1:0"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "pass --data-dir") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestDevServiceAuthorization: the development service needs a client
// certificate (client-auth need), lets its generated client call the
// operator endpoints, and gives another certificate of its CA only the
// client commands.
func TestDevServiceAuthorization(t *testing.T) {
	dir := t.TempDir()
	s := startRun(t, []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, false)
	b, err := pki.LoadOrGenerate(filepath.Join(dir, devenv.PKIDir))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := b.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	tc.Certificates = nil
	if _, err := newClient(t, tc).Get(s.url); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	dev := devClient(t, dir)
	mustStatus(t, dev, "GET", s.url+"/status", "", 200)
	mustStatus(t, dev, "GET", s.url+"/collections/events", "", 200)

	_, certFile, keyFile, err := b.IssueClient(t.TempDir(), "agent.example.com")
	if err != nil {
		t.Fatal(err)
	}
	atc, _ := b.ClientTLSConfig()
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	atc.Certificates = []tls.Certificate{pair}
	agent := newClient(t, atc)
	mustStatus(t, agent, "POST", s.url+"/commands/event", `{"event":"dev.agent"}`, http.StatusOK)
	mustStatus(t, agent, "GET", s.url+"/collections/events", "", http.StatusForbidden)
	mustStatus(t, agent, "POST", s.url+"/commands/send", "", http.StatusForbidden)
}
