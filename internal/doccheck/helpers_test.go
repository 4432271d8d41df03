package doccheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// root is the module's root directory, seen from this package.
const root = "../.."

// modulePath is the module's import path.
const modulePath = "github.com/analytics-client/analytics"

// docFiles are the documents whose blocks are checked: the README and
// every page under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, pages...)
}

// allBlocks returns the blocks of every document.
func allBlocks(t *testing.T) []Block {
	t.Helper()
	var all []Block
	for _, f := range docFiles(t) {
		bs, err := Blocks(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, bs...)
	}
	return all
}

// rel is path relative to the module root, for messages.
func rel(path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}

// repoRoot is the module root as an absolute path.
func repoRoot(t *testing.T) string {
	t.Helper()
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// goTool is the go command, or t skips.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	return p
}

// offlineEnv is the environment for go commands in throwaway modules:
// modules resolve from the module cache only (served as a file proxy, so
// that the go command can look up the modules of packages too), never the
// network, and go.mod may be updated. Builds use -trimpath, so that the
// build cache serves them although the module's directory is new each
// time.
func offlineEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command(goTool(t), "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	proxy := "file://" + filepath.ToSlash(filepath.Join(strings.TrimSpace(string(out)), "cache", "download"))
	return append(os.Environ(), "GOFLAGS=-mod=mod -trimpath", "GOPROXY="+proxy, "GONOSUMDB=*", "GOSUMDB=off",
		"GOWORK=off", "GOTOOLCHAIN=local")
}

// notCached reports whether go's output says a module is not in the
// module cache.
func notCached(out string) bool {
	return strings.Contains(out, "GOPROXY=off") ||
		strings.Contains(out, "file://") && (strings.Contains(out, "not found") || strings.Contains(out, "no such file"))
}

// runGo runs the go command with args in dir, offline, and returns its
// combined output. When a module is missing from the module cache it
// skips t, saying so, since the test must not use the network.
func runGo(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(goTool(t), args...)
	cmd.Dir = dir
	// The module replaces this one by its fixed path: without -trimpath
	// the build cache serves it what the repository's own builds compiled.
	cmd.Env = append(offlineEnv(t), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil && notCached(string(out)) {
		t.Skipf("go %s needs a module that is not in the module cache (the test does not use the network; go mod download in the repository fetches it):\n%s",
			strings.Join(args, " "), out)
	}
	return string(out), err
}
