package server_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/analytics-client/analytics"

// goList runs go list with args in the server directory and returns its
// output's fields; the test is skipped without a go tool.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, append([]string{"list"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}

// TestDependencies: the service shares the value model with the client
// (internal/value) without importing the client package and, behind it,
// the Reporter's spool and the configuration loaders.
func TestDependencies(t *testing.T) {
	deps := goList(t, "-deps", ".")
	if !slices.Contains(deps, module+"/internal/value") {
		t.Errorf("the service does not use internal/value")
	}
	for _, pkg := range []string{module, module + "/internal/spool", module + "/internal/tkconfig", "gopkg.in/yaml.v3", "gopkg.in/ini.v1"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("the service depends on %s", pkg)
		}
	}
}

// subsystems are the service's subsystem packages and the only packages of
// the server tree each may import. The core (package server) imports them
// all; none imports the core, so each can be read, tested and changed
// with the core out of view. The edges between them:
//
//   - checkin parses the whitelist an update server's answer carries;
//   - opsview shows the check-in's mode, record and preview and the
//     whitelist, and names a request's certname (authz) in the access log;
//   - jsonbody is the one JSON encoder of the core and the subsystems;
//   - storeview adapts the store to checkin's and opsview's interfaces
//     (the core passes it to them; they do not import it).
var subsystems = map[string][]string{
	"authz":              nil,
	"whitelist":          nil,
	"limits":             nil,
	"internal/jsonbody":  nil,
	"internal/storeview": nil,
	"checkin":            {"whitelist", "internal/jsonbody"},
	"opsview":            {"checkin", "whitelist", "authz", "internal/jsonbody"},
}

// TestSubsystemGraph holds the graph above: no subsystem imports the core,
// directly or through another package, and each imports only the server
// packages listed for it.
func TestSubsystemGraph(t *testing.T) {
	const tree = module + "/server"
	for name, allowed := range subsystems {
		pkg := "./" + name
		if deps := goList(t, "-deps", pkg); slices.Contains(deps, tree) {
			t.Errorf("%s depends on the core (package server)", name)
		}
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, pkg) {
			rel, ok := strings.CutPrefix(imp, tree+"/")
			if ok && !slices.Contains(allowed, rel) {
				t.Errorf("%s imports %s, which is not among %v", name, rel, allowed)
			}
		}
	}
}

// TestStandardLibraryOnly: authorization, the whitelist and the limits
// are plain Go: they link nothing outside the standard library.
func TestStandardLibraryOnly(t *testing.T) {
	for _, name := range []string{"authz", "whitelist", "limits", "internal/jsonbody"} {
		pkg := module + "/server/" + name
		for _, dep := range goList(t, "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, "./"+name) {
			if dep != pkg {
				t.Errorf("%s depends on %s", name, dep)
			}
		}
	}
}

// TestSubsystemsOutsideTheTree: the public subsystem packages take and
// return no type of the module's internal packages, and so import none,
// except opsview, whose CheckAdminAddr builds the *confcheck.Error that is
// server.ConfigError, and whose page writes sizes as the CLI does
// (internal/bytesize: int64 in, string out, no type of its own). The store
// in particular reaches checkin and opsview only through their own
// interfaces (see internal/storeview).
func TestSubsystemsOutsideTheTree(t *testing.T) {
	allowed := map[string][]string{"opsview": {module + "/internal/confcheck", module + "/internal/bytesize"}}
	for _, name := range []string{"authz", "whitelist", "limits", "checkin", "opsview"} {
		for _, imp := range goList(t, "-f", `{{join .Imports " "}}`, "./"+name) {
			if strings.HasPrefix(imp, module+"/") && !strings.HasPrefix(imp, module+"/server/") &&
				!slices.Contains(allowed[name], imp) {
				t.Errorf("%s imports %s", name, imp)
			}
		}
	}
}
