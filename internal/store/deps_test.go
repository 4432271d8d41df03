package store_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: the interface and its contract suite depend on no
// storage engine, and each engine on no other: a service that runs bbolt
// does not need pgx to build the store, and the other way round.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	const (
		module = "github.com/analytics-client/analytics/internal/store"
		bbolt  = "go.etcd.io/bbolt"
		pgx    = "github.com/jackc/pgx/v5"
	)
	for _, rule := range []struct {
		pkg    string
		uses   string // "" for none
		forbid []string
	}{
		{module, "", []string{bbolt, pgx}},
		{module + "/storetest", "", []string{bbolt, pgx}},
		{module + "/boltstore", bbolt, []string{pgx}},
		{module + "/pgstore", pgx, []string{bbolt}},
	} {
		out, err := exec.Command(goTool, "list", "-deps", rule.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", rule.pkg, err)
		}
		deps := strings.Fields(string(out))
		has := func(prefix string) bool {
			for _, d := range deps {
				if d == prefix || strings.HasPrefix(d, prefix+"/") {
					return true
				}
			}
			return false
		}
		if rule.uses != "" && !has(rule.uses) {
			t.Errorf("%s does not use %s: the rule is stale", rule.pkg, rule.uses)
		}
		for _, f := range rule.forbid {
			if has(f) {
				t.Errorf("%s depends on %s", rule.pkg, f)
			}
		}
	}
}
