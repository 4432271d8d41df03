package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fragmentImports are the packages a fragment may use without importing
// them, by the name it uses them under.
var fragmentImports = map[string]string{
	"errors":        "errors",
	"fmt":           "fmt",
	"http":          "net/http",
	"json":          "encoding/json",
	"log":           "log",
	"os":            "os",
	"runtime":       "runtime",
	"slog":          "log/slog",
	"time":          "time",
	"analyticsprom": modulePath + "/analyticsprom",
	"analyticstest": modulePath + "/analyticstest",
	"server":        modulePath + "/server",
	"wire":          modulePath + "/wire",
}

// packageRE finds a package clause.
var packageRE = regexp.MustCompile(`(?m)^package \w+$`)

// program is the Go source that compiles block b: the block itself when it
// is a program (it starts with a package clause), or, for a block marked
// fragment, the statements in the body of a function returning error,
// with ctx (a context.Context) and client (an *analytics.Client) in scope
// and the packages of fragmentImports it uses imported. //line directives
// make the compiler's messages name the document's lines.
func program(b Block) (string, error) {
	line := fmt.Sprintf("//line %s:%d\n", b.File, b.Line)
	if packageRE.MatchString(b.Text) {
		return line + b.Text, nil
	}
	if b.Marker != "fragment" && !strings.HasPrefix(b.Marker, "fragment Example") {
		return "", fmt.Errorf("%s: a go block is a complete program (package main) or is marked <!-- fragment --> on the line before it", b.Pos())
	}
	imports := []string{"context", modulePath}
	for name, path := range fragmentImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(b.Text) {
			imports = append(imports, path)
		}
	}
	slices.Sort(imports)
	var src strings.Builder
	src.WriteString("package main\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&src, "\t%q\n", p)
	}
	src.WriteString(")\n\nvar (\n\tctx    = context.Background()\n\tclient *analytics.Client\n)\n\n")
	src.WriteString("func main() { _ = fragment() }\n\nfunc fragment() error {\n")
	src.WriteString(line + b.Text)
	if !endsInReturn(b.Text) {
		src.WriteString("\treturn nil\n")
	}
	src.WriteString("}\n")
	return src.String(), nil
}

// endsInReturn reports whether the last statement of text is a return.
func endsInReturn(text string) bool {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "return")
}

// throwawayModule creates a module outside the repository that depends on
// this one through a replace directive, as the README tells users to.
func throwawayModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gomod := fmt.Sprintf("module doccheck.example\n\ngo 1.26\n\nrequire %s v0.0.0\n\nreplace %s => %s\n",
		modulePath, modulePath, repoRoot(t))
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestGoBlocks compiles and vets every Go block of the README and of
// docs/, each as its own package main in a throwaway module that depends on
// this one: a block that does not compile as written (an unused variable,
// a missing declaration, an API that changed) fails the test, named by its
// document and line.
func TestGoBlocks(t *testing.T) {
	dir := throwawayModule(t)
	n := 0
	for _, b := range allBlocks(t) {
		if b.Lang != "go" {
			continue
		}
		b.File = rel(b.File)
		src, err := program(b)
		if err != nil {
			t.Error(err)
			continue
		}
		n++
		pkg := filepath.Join(dir, fmt.Sprintf("block%02d", n))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("no go blocks found")
	}
	if out, err := runGo(t, dir, "vet", "./..."); err != nil {
		t.Errorf("the documents' Go blocks do not compile as written:\n%s", out)
	}
	t.Logf("%d go blocks compiled", n)
}

// TestProgramFragment: a fragment that declares a variable it never uses
// does not compile once wrapped, and an unmarked fragment is refused.
func TestProgramFragment(t *testing.T) {
	src, err := program(Block{File: "x.md", Line: 3, Lang: "go", Marker: "fragment",
		Text: "snap, err := client.StoreSnapshot(ctx, analytics.Snapshot{})\nreturn err\n"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"//line x.md:3\nsnap, err :=", `"context"`, "func fragment() error {"} {
		if !strings.Contains(src, want) {
			t.Errorf("wrapped fragment lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(src, "return nil") {
		t.Errorf("a fragment ending in return got another:\n%s", src)
	}
	if _, err := program(Block{File: "x.md", Line: 3, Lang: "go", Text: "x := 1\n"}); err == nil {
		t.Error("an unmarked fragment was accepted")
	}
}

// exampleBodies returns the bodies of the Example functions of the test
// files in dir, by name, each line without its first tab.
func exampleBodies(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	fset := token.NewFileSet()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Example") {
				continue
			}
			body := string(src[fset.Position(fn.Body.Lbrace).Offset+1 : fset.Position(fn.Body.Rbrace).Offset])
			var out strings.Builder
			for _, l := range strings.Split(strings.Trim(body, "\n"), "\n") {
				out.WriteString(strings.TrimPrefix(l, "\t") + "\n")
			}
			bodies[fn.Name.Name] = out.String()
		}
	}
	return bodies
}

// TestBlocksAreExamples: a block marked "fragment ExampleName" is the body
// of that Example function of the root package, which go test compiles and
// runs, as it is.
func TestBlocksAreExamples(t *testing.T) {
	bodies := exampleBodies(t, root)
	n := 0
	for _, b := range allBlocks(t) {
		name, ok := strings.CutPrefix(b.Marker, "fragment ")
		if !ok || b.Lang != "go" {
			continue
		}
		n++
		body, ok := bodies[name]
		switch {
		case !ok:
			t.Errorf("%s: marked as %s, which the root package's tests do not define", rel(b.File)+fmt.Sprintf(":%d", b.Line), name)
		case body != b.Text:
			t.Errorf("%s:%d: the block is not the body of %s as it is:\n%s", rel(b.File), b.Line, name, body)
		}
	}
	if n == 0 {
		t.Error("no block is marked as an Example")
	}
}
