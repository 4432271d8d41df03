package wire_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: wire imports only the standard library, so that any
// program can speak the protocol's vocabulary without linking the client
// or the service.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg != "github.com/analytics-client/analytics/wire" {
			t.Errorf("wire depends on %s, which is not in the standard library", pkg)
		}
	}
}
