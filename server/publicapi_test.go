package server_test

import (
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
)

// TestPublicAPIHasNoInternalTypes: no exported declaration of the service's
// packages names a type of an internal package, so that everything they
// offer can be used (and its Examples compiled) outside the module.
func TestPublicAPIHasNoInternalTypes(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		if strings.Contains(pkg, "/internal/") {
			continue // not importable outside the module
		}
		var internal []string
		for _, imp := range imports {
			if strings.Contains(imp, "/internal/") {
				internal = append(internal, regexp.QuoteMeta(path.Base(imp)))
			}
		}
		if len(internal) == 0 {
			continue
		}
		doc, err := exec.Command(goTool, "doc", "-all", pkg).Output()
		if err != nil {
			t.Fatalf("go doc %s: %v", pkg, err)
		}
		qualified := regexp.MustCompile(`\b(` + strings.Join(internal, "|") + `)\.[A-Z]`)
		for _, decl := range declarations(string(doc)) {
			if m := qualified.FindString(decl); m != "" && !knownInternal[strings.TrimSpace(decl)] {
				t.Errorf("%s: %q names the internal type %s...", pkg, strings.TrimSpace(decl), m)
			}
		}
	}
}

// knownInternal are the declarations that still alias an internal type,
// each with the work that removes it.
var knownInternal = map[string]bool{}

// declarations are the lines of go doc's output that declare something
// (not its prose, which is indented by four spaces, nor comments).
func declarations(doc string) []string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		code := l
		if i := strings.Index(code, "//"); i >= 0 {
			code = code[:i]
		}
		if strings.HasPrefix(l, "    ") || strings.TrimSpace(code) == "" {
			continue
		}
		out = append(out, code)
	}
	return out
}
