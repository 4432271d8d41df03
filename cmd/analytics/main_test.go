package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/analytics-client/analytics"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line with e and returns its exit status and
// output.
func runCLI(t *testing.T, e env, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr, e)
	t.Logf("analytics %s → %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// testEnv is an environment holding only vars, whose development config
// path names a file that does not exist.
func testEnv(t *testing.T, vars map[string]string) env {
	t.Helper()
	return env{
		Stdin:         strings.NewReader(""),
		Getenv:        func(k string) string { return vars[k] },
		DevConfigPath: filepath.Join(t.TempDir(), "client.json"),
	}
}

// withStdin returns e reading stdin.
func withStdin(e env, stdin io.Reader) env {
	e.Stdin = stdin
	return e
}

// connFlags are the flags that point the command at cfg's service.
func connFlags(cfg analytics.Config) []string {
	f := []string{"--url", cfg.URL}
	if cfg.SSL != nil {
		f = append(f, "--ssl-cert", cfg.SSL.CertFile, "--ssl-key", cfg.SSL.KeyFile, "--ssl-ca-cert", cfg.SSL.CAFile)
	}
	return f
}

// expect fails t unless r exited with code.
func expect(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d (stderr: %s)", r.code, code, r.stderr)
	}
}

// oneLine fails t unless s is exactly one line containing every want.
func oneLine(t *testing.T, s string, want ...string) {
	t.Helper()
	if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
		t.Errorf("stderr is not one line: %q", s)
	}
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("stderr %q does not mention %q", s, w)
		}
	}
}
