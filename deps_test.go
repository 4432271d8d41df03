package analytics_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: the client library links none of the service and no
// Prometheus client (analyticsprom adapts the Reporter's counters for
// those who want them).
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/analytics-client/analytics"
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range []string{module + "/server", module + "/internal/store", "github.com/prometheus/", "go.etcd.io/bbolt", "github.com/jackc/pgx"} {
			if dep == f || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("the client library depends on %s", dep)
			}
		}
	}
}

// TestPublicTypesAreConcrete: the package's public types are types of its
// own, so that go doc lists their methods, never aliases of another
// package's (an internal one could not even be named by a caller).
func TestPublicTypesAreConcrete(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "doc", "-all", ".").Output()
	if err != nil {
		t.Fatalf("go doc: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "type ") && strings.Contains(line, " = ") {
			t.Errorf("alias in the public API: %s", line)
		}
	}
}
