package doccheck

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadme: the README is a landing page of at most 300 lines, and its
// complete program is examples/hello as it is (which TestHello runs).
func TestReadme(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n > 300 {
		t.Errorf("README.md has %d lines; a landing page has at most 300: move sections into docs/", n)
	}
	hello, err := os.ReadFile(filepath.Join(root, "examples", "hello", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Parse("README.md", readme)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, b := range bs {
		if b.Lang == "go" && packageRE.MatchString(b.Text) {
			found = true
			if b.Text != string(hello) {
				t.Errorf("%s: the README's complete program is not examples/hello/main.go as it is", b.Pos())
			}
		}
	}
	if !found {
		t.Error("the README shows no complete program")
	}
}

// linkRE finds Markdown links: [text](target).
var linkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// headingAnchors are the anchors GitHub gives the headings of a Markdown
// document: lower case, punctuation other than - and _ dropped, spaces
// as dashes.
func headingAnchors(doc string) map[string]bool {
	anchors := map[string]bool{}
	inFence := false
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(l, "#")))
		var a strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				a.WriteRune('-')
			case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
				a.WriteRune(r)
			}
		}
		anchors[a.String()] = true
	}
	return anchors
}

// testNameRE finds the names of tests, benchmarks and examples a document
// cites.
var testNameRE = regexp.MustCompile("`((?:Test|Benchmark|Example|Fuzz)[A-Za-z0-9_]+)`")

// TestLinks: every relative link of the README and docs/ leads to a file
// of the repository and, with #anchor, to a heading of it; every test,
// benchmark or example a document cites by name exists, so that a renamed
// or removed test cannot leave a document pointing at nothing.
func TestLinks(t *testing.T) {
	defined := definedTests(t)
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range linkRE.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			path := f
			if file != "" {
				path = filepath.Join(filepath.Dir(f), file)
			}
			dest, err := os.ReadFile(path)
			if err != nil {
				if fi, serr := os.Stat(path); serr == nil && fi.IsDir() && anchor == "" {
					continue
				}
				t.Errorf("%s: link %s: %v", rel(f), target, err)
				continue
			}
			if anchor != "" && !headingAnchors(string(dest))[anchor] {
				t.Errorf("%s: link %s: %s has no heading #%s", rel(f), target, rel(path), anchor)
			}
		}
		for _, m := range testNameRE.FindAllStringSubmatch(string(data), -1) {
			if !defined[m[1]] {
				t.Errorf("%s cites %s, which no _test.go file defines", rel(f), m[1])
			}
		}
	}
}

// funcRE finds the test, benchmark, example and fuzz functions of a file.
var funcRE = regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Example|Fuzz)[A-Za-z0-9_]*)\(`)

// definedTests are the names of the module's test functions.
func definedTests(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcRE.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestProtocolCited: the code and documents cite the protocol as
// docs/protocol.md, the page in the repository, never as a PROTOCOL.md
// kept elsewhere.
func TestProtocolCited(t *testing.T) {
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	old := "PROTOCOL" + ".md"
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if abs, _ := filepath.Abs(path); d.IsDir() && (d.Name() == ".git" || abs == self) {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".md") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), old) {
			t.Errorf("%s cites %s; the protocol is docs/protocol.md", rel(path), old)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestLayout: the README's Layout section names every directory that holds
// Go code, so that a new package cannot leave it stale.
func TestLayout(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Layout\n")
	bs, _ := Parse("README.md", []byte(after))
	if !ok || len(bs) == 0 {
		t.Fatal("README.md has no Layout section with a block")
	}
	layout := bs[0].Text
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == ".git" || d.Name() == "testdata" {
			return filepath.SkipDir
		}
		gofiles, _ := filepath.Glob(filepath.Join(path, "*.go"))
		if path == root || len(gofiles) == 0 {
			return nil
		}
		if !strings.Contains(layout, d.Name()) {
			t.Errorf("the README's Layout does not name %s", rel(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
