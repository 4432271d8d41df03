package server_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies: the service shares the value model with the client
// (internal/value) without importing the client package and, behind it,
// the Reporter's spool and the configuration loaders.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	const module = "github.com/analytics-client/analytics"
	if !slices.Contains(deps, module+"/internal/value") {
		t.Errorf("the service does not use internal/value")
	}
	for _, pkg := range []string{module, module + "/internal/spool", module + "/internal/tkconfig", "gopkg.in/yaml.v3", "gopkg.in/ini.v1"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("the service depends on %s", pkg)
		}
	}
}
