package doccheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// markedBlock returns the README's block marked marker.
func markedBlock(t *testing.T, marker string) Block {
	t.Helper()
	bs, err := Blocks(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Marker == marker {
			return b
		}
	}
	t.Fatalf("README.md has no block marked <!-- %s -->", marker)
	return Block{}
}

// shellCommands are the command lines of a sh block, with backslash
// continuations joined.
func shellCommands(text string) []string {
	var cmds []string
	var cur strings.Builder
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if c, ok := strings.CutSuffix(l, "\\"); ok {
			cur.WriteString(c + " ")
			continue
		}
		cur.WriteString(l)
		if s := strings.TrimSpace(cur.String()); s != "" {
			cmds = append(cmds, s)
		}
		cur.Reset()
	}
	return cmds
}

// modLines are the directives of a go.mod file, one per line as if each
// stood alone ("require PATH VERSION"), without comments.
func modLines(gomod string) []string {
	var lines []string
	block := ""
	for _, l := range strings.Split(gomod, "\n") {
		l, _, _ = strings.Cut(l, "//")
		l = strings.TrimSpace(l)
		switch {
		case strings.HasSuffix(l, "("):
			block = strings.TrimSpace(strings.TrimSuffix(l, "("))
		case l == ")":
			block = ""
		case l != "" && block != "":
			lines = append(lines, block+" "+l)
		case l != "":
			lines = append(lines, l)
		}
	}
	return lines
}

// runSh runs a command line in dir with env, failing t with its output.
func runSh(t *testing.T, dir string, env []string, line string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil && notCached(string(out)) {
		t.Skipf("%s needs a module that is not in the module cache (the test does not use the network; go mod download in the repository fetches it):\n%s", line, out)
	}
	if err != nil {
		t.Fatalf("README: %s: %v\n%s", line, err, out)
	}
}

// TestModuleInstructions follows the README's "Depending on the module"
// in a throwaway module outside the repository, offline (modules come from
// the module cache): with the repository as the clone beside it, the
// commands shown leave the go.mod lines shown and the README's complete
// program builds; vendored, it builds with the clone gone.
func TestModuleInstructions(t *testing.T) {
	goTool(t)
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the README's commands")
	}
	parent := t.TempDir()
	clone := filepath.Join(parent, "analytics")
	if err := os.Symlink(repoRoot(t), clone); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(parent, "myprog")
	if err := os.Mkdir(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	hello, err := os.ReadFile(filepath.Join(root, "examples", "hello", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "main.go"), hello, 0o644); err != nil {
		t.Fatal(err)
	}
	env := offlineEnv(t)
	runSh(t, mine, env, "go mod init example.com/myprog")

	setup := shellCommands(markedBlock(t, "module-setup").Text)
	if len(setup) == 0 || !strings.HasPrefix(setup[0], "git clone ") || !strings.HasSuffix(setup[0], " ../analytics") {
		t.Fatalf("the README's setup does not start by cloning into ../analytics: %q", setup)
	}
	for _, line := range setup[1:] { // the clone is the repository itself
		runSh(t, mine, env, line)
	}
	gomod, err := os.ReadFile(filepath.Join(mine, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	have := modLines(string(gomod))
	for _, l := range strings.Split(markedBlock(t, "module-gomod").Text, "\n") {
		if l != "" && !containsString(have, l) {
			t.Errorf("go.mod lacks the README's line %q:\n%s", l, gomod)
		}
	}
	runSh(t, mine, env, "go vet .")

	// Vendored, the build needs neither the clone nor the network.
	vendorEnv := append(offlineEnv(t), "GOFLAGS=-trimpath")
	vendor := shellCommands(markedBlock(t, "module-vendor").Text)
	if len(vendor) == 0 {
		t.Fatal("the README's vendoring block has no commands")
	}
	runSh(t, mine, vendorEnv, vendor[0])
	if err := os.Remove(clone); err != nil {
		t.Fatal(err)
	}
	for _, line := range vendor[1:] {
		runSh(t, mine, vendorEnv, line)
	}
	if _, err := os.Stat(filepath.Join(mine, "vendor", "github.com", "analytics-client", "analytics", "client.go")); err != nil {
		t.Errorf("the module is not in vendor/: %v", err)
	}
}
