package doccheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// docAddr is the address transcripts show for the development service:
// its default. The tests' services listen on free ports, written as this
// address in what the commands print and read as it in what they run.
const docAddr = "127.0.0.1:14433"

// programs are the programs transcripts run with go run, built once by
// the test under the name of their directory.
var programs = []string{"./cmd/analytics", "./cmd/analyticsd", "./examples/hello"}

// goRunRE matches "go run ./dir" at the start of a command line.
var goRunRE = regexp.MustCompile(`^go run (\./\S+)`)

// buildPrograms builds programs into a directory and returns it.
func buildPrograms(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command(goTool(t), append([]string{"build", "-o", bin + string(filepath.Separator)}, programs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// script is the testscript archive that runs the steps of a transcript:
// each step is a doc command naming the files holding its command line and
// the output the document shows.
func script(b Block, steps []Step) (*txtar.Archive, error) {
	a := &txtar.Archive{Comment: []byte(fmt.Sprintf("# %s: a transcript, run against a development service\n", b.Pos()))}
	var s strings.Builder
	for i, st := range steps {
		cmd := st.Command
		if m := goRunRE.FindStringSubmatch(cmd); m != nil {
			if !containsString(programs, m[1]) {
				return nil, fmt.Errorf("%s:%d: go run %s: the test builds only %v", b.File, st.Line, m[1], programs)
			}
			if m[1] == "./cmd/analyticsd" {
				// The development service: the test runs it.
				if rest := strings.TrimSpace(cmd[len(m[0]):]); rest != "" && !strings.HasPrefix(rest, "#") {
					return nil, fmt.Errorf("%s:%d: a transcript's service is analyticsd with no arguments", b.File, st.Line)
				}
				continue
			}
			cmd = filepath.Base(m[1]) + cmd[len(m[0]):]
		}
		want := "-"
		if !st.AnyOutput {
			want = fmt.Sprintf("want%d", i)
			a.Files = append(a.Files, txtar.File{Name: want, Data: []byte(st.Output)})
		}
		name := fmt.Sprintf("cmd%d", i)
		a.Files = append(a.Files, txtar.File{Name: name, Data: []byte(cmd + "\n")})
		fmt.Fprintf(&s, "# %s:%d: %s\ndoc %d %s %s\n", b.File, st.Line, st.Command, st.Exit, name, want)
	}
	a.Comment = append(a.Comment, s.String()...)
	return a, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// exportRE is a command that sets a variable for the following ones.
var exportRE = regexp.MustCompile(`^export ([A-Za-z_][A-Za-z0-9_]*)=(\S*)$`)

// cmdDoc is the doc command: doc EXIT CMDFILE WANTFILE runs the command
// line in CMDFILE with sh and fails unless it exits with EXIT and prints
// what WANTFILE shows ("-": anything).
func cmdDoc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: doc EXIT CMDFILE WANTFILE")
	}
	exit, err := strconv.Atoi(args[0])
	ts.Check(err)
	line := strings.TrimSuffix(ts.ReadFile(args[1]), "\n")
	home, addr := ts.Getenv("HOME"), ts.Getenv("SERVICE_ADDR")
	if m := exportRE.FindStringSubmatch(line); m != nil {
		v := strings.ReplaceAll(m[2], docAddr, addr)
		if rest, ok := strings.CutPrefix(v, "~/"); ok {
			v = filepath.Join(home, rest)
		}
		ts.Setenv(m[1], v)
		return
	}
	err = ts.Exec("sh", "-c", strings.ReplaceAll(line, docAddr, addr))
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", line, err)
	}
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	out = strings.ReplaceAll(out, addr, docAddr)
	out = strings.ReplaceAll(out, home, "~")
	if code != exit {
		ts.Fatalf("%s: exit status %d, the document shows %d; output:\n%s", line, code, exit, out)
	}
	if args[2] != "-" && !Matches(ts.ReadFile(args[2]), out) {
		ts.Fatalf("%s: the output is not what the document shows.\ngot:\n%s\ndocument:\n%s", line, out, ts.ReadFile(args[2]))
	}
}

// devService runs the development service (analyticsd with no
// configuration) from bin for one script, with HOME and the cache
// directory in its work directory, where the CLI finds its client
// configuration, and stops it when the script ends.
func devService(bin string) func(e *testscript.Env) error {
	return func(e *testscript.Env) error {
		home := e.WorkDir
		e.Setenv("HOME", home)
		e.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
		e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		cmd := exec.Command(filepath.Join(bin, "analyticsd"), "--listen", "127.0.0.1:0")
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		first, done := make(chan string, 1), make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				select {
				case first <- sc.Text():
				default:
				}
			}
		}()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				<-done
				_ = cmd.Wait()
			})
		}
		e.Defer(stop)
		select {
		case line := <-first:
			url, ok := strings.CutPrefix(line, "analytics development service at https://")
			if !ok {
				return fmt.Errorf("analyticsd's first line %q does not name its URL", line)
			}
			addr, _, _ := strings.Cut(url, "/")
			e.Setenv("SERVICE_ADDR", addr)
			return nil
		case <-done:
			stop()
			return fmt.Errorf("analyticsd exited: %s", stderr.String())
		case <-time.After(30 * time.Second):
			return errors.New("analyticsd printed nothing in 30s")
		}
	}
}

// TestTranscripts runs every transcript of the README and docs/ with
// testscript: each block against its own development service, run from
// the analyticsd built from this tree, with the analytics built from this
// tree; each command's exit status and output must be what the document
// shows.
func TestTranscripts(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the transcripts' commands")
	}
	dir := t.TempDir()
	n := 0
	for _, b := range allBlocks(t) {
		if !strings.HasPrefix(b.Marker, "transcript") {
			continue
		}
		b.File = rel(b.File)
		steps, err := Transcript(b)
		if err != nil {
			t.Fatal(err)
		}
		a, err := script(b, steps)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.NewReplacer("/", "_", ".md", "").Replace(b.File) + "_" + strconv.Itoa(b.Line) + ".txtar"
		if err := os.WriteFile(filepath.Join(dir, name), txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no transcripts found")
	}
	bin := buildPrograms(t)
	testscript.Run(t, testscript.Params{
		Dir:   dir,
		Setup: devService(bin),
		Cmds:  map[string]func(*testscript.TestScript, bool, []string){"doc": cmdDoc},
	})
}
