package testreq

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestRequired(t *testing.T) {
	for _, tc := range []struct {
		list, group string
		want        bool
		err         string
	}{
		{"", Postgres, false, ""},
		{"postgres", Postgres, true, ""},
		{"postgres", Chromium, false, ""},
		{" chromium , postgres ", Chromium, true, ""},
		{"all", Chromium, true, ""},
		{"postgress", Postgres, false, `"postgress" is not a group of tests (groups: postgres, chromium, or all)`},
	} {
		got, err := required(tc.list, tc.group)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("required(%q, %q) = %v, %v; want %v, error containing %q", tc.list, tc.group, got, err, tc.want, tc.err)
		}
	}
}

// TestSkipChild is run by TestSkip as a child process.
func TestSkipChild(t *testing.T) {
	if os.Getenv("TESTREQ_CHILD") == "" {
		t.Skip("runs only as the child of TestSkip")
	}
	Skip(t, Postgres, "a PostgreSQL server", "set ANALYTICS_TEST_DATABASE_URL")
}

// TestSkip runs a test that skips in a child process: without the
// requirement it passes and says how to enable the group; with it, it
// fails with the same words.
func TestSkip(t *testing.T) {
	for _, tc := range []struct {
		require string
		fails   bool
		want    string
	}{
		{"", false, "--- SKIP: TestSkipChild"},
		{"chromium", false, "--- SKIP: TestSkipChild"},
		{"postgres", true, "--- FAIL: TestSkipChild"},
		{"all", true, "--- FAIL: TestSkipChild"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSkipChild$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTREQ_CHILD=1", EnvRequire+"="+tc.require)
		out, err := cmd.CombinedOutput()
		if (err != nil) != tc.fails {
			t.Errorf("%s=%q: child error %v, want failure %v\n%s", EnvRequire, tc.require, err, tc.fails, out)
		}
		for _, w := range []string{tc.want, "postgres tests need a PostgreSQL server: set ANALYTICS_TEST_DATABASE_URL"} {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s=%q: child output lacks %q:\n%s", EnvRequire, tc.require, w, out)
			}
		}
	}
}
