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
