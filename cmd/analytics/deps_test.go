package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDependencies: the CLI links none of the service (try runs analyticsd
// as a child process): no server package, no store engine, no metrics, no
// browser.
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
	forbidden := []string{
		module + "/server", module + "/internal/store", module + "/internal/devservice",
		"go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/prometheus/", "github.com/chromedp/",
	}
	deps := strings.Fields(string(out))
	for _, dep := range deps {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, strings.TrimSuffix(f, "/")+"/") {
				t.Errorf("the CLI depends on %s", dep)
			}
		}
	}
	if !slices.Contains(deps, module+"/wire") {
		t.Error("the CLI does not decode the service's documents with package wire")
	}
}
