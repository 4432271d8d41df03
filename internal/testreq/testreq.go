// Package testreq is how tests that need something outside Go (a
// PostgreSQL server, a Chromium) skip without it: each skip names its group
// and how to enable it, and the environment variable ANALYTICS_TEST_REQUIRE
// turns the skips of the groups it lists into failures, so that CI, which
// provides everything, fails instead of passing with tests unrun.
//
//	ANALYTICS_TEST_REQUIRE=postgres,chromium go test ./...
//
// "all" requires every group. A name that is not a group is an error in
// every test that asks, so a misspelt requirement is not silently ignored.
package testreq

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// EnvRequire names the variable listing the groups whose tests must run:
// comma-separated group names, or "all".
const EnvRequire = "ANALYTICS_TEST_REQUIRE"

// The groups of tests that need something outside Go.
const (
	// Postgres: the PostgreSQL store's tests, which need a server named by
	// ANALYTICS_TEST_DATABASE_URL (.ci/postgres starts one).
	Postgres = "postgres"
	// Chromium: the operator page's browser tests.
	Chromium = "chromium"
)

// groups are the known groups.
func groups() []string { return []string{Postgres, Chromium} }

// required reports whether the value of ANALYTICS_TEST_REQUIRE, list,
// requires group, or an error naming an entry of list that is no group.
func required(list, group string) (bool, error) {
	req := false
	for _, g := range strings.Split(list, ",") {
		switch g = strings.TrimSpace(g); {
		case g == "":
		case g == "all" || g == group:
			req = true
		case !slices.Contains(groups(), g):
			return false, fmt.Errorf("%s=%s: %q is not a group of tests (groups: %s, or all)",
				EnvRequire, list, g, strings.Join(groups(), ", "))
		}
	}
	return req, nil
}

// Skip skips t, which needs what group needs and does not have it: the
// message names the group, what is missing and how to enable it. When
// ANALYTICS_TEST_REQUIRE lists the group (or "all"), t fails instead.
func Skip(t testing.TB, group, missing, enable string) {
	t.Helper()
	msg := fmt.Sprintf("%s tests need %s: %s", group, missing, enable)
	list := os.Getenv(EnvRequire)
	req, err := required(list, group)
	switch {
	case err != nil:
		t.Fatal(err)
	case req:
		t.Fatalf("%s (%s=%s requires them)", msg, EnvRequire, list)
	}
	t.Skipf("%s (skipped; %s=%s fails instead)", msg, EnvRequire, group)
}
