package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// try runs the whole exchange with no configuration, building the service
// from this source tree when it is nowhere else, and leaves nothing in the
// temporary directory.
func TestTry(t *testing.T) {
	requireGo(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("PATH", pathWithout(t, serviceName))
	r := runCLI(t, testEnv(t, nil), "try", "--verbose")
	expect(t, r, exitOK)
	if !strings.Contains(r.stderr, "building the service from source") {
		t.Errorf("--verbose does not say the service was built from source: %s", r.stderr)
	}

	sections := strings.Split(r.stdout, "\n# ")
	if len(sections) != 5 {
		t.Fatalf("stdout has %d sections, want the service line, 2 answers and 2 collections:\n%s", len(sections), r.stdout)
	}
	var snap struct {
		Accepted map[string]struct{ Value any } `json:"accepted"`
	}
	decodeSection(t, sections[1], &snap)
	if v := snap.Accepted["puppetserver.metric2"].Value; v != 1337.0 || len(snap.Accepted) != 4 {
		t.Errorf("snapshot answer accepted %+v", snap.Accepted)
	}
	var ev struct{ Event string }
	decodeSection(t, sections[2], &ev)
	if ev.Event != "puppetserver.some-event" {
		t.Errorf("event answer names %q", ev.Event)
	}
	var snaps []map[string]any
	decodeSection(t, sections[3], &snaps)
	var evs []map[string]any
	decodeSection(t, sections[4], &evs)
	if len(snaps) != 1 || len(evs) != 1 || evs[0]["event"] != "puppetserver.some-event" {
		t.Errorf("collections: %d snapshots, events %+v; want one of each", len(snaps), evs)
	}
	emptyDir(t, tmp)
}

// TestTryServiceOnPath: an analyticsd on PATH is used as it is, and
// --verbose says so.
func TestTryServiceOnPath(t *testing.T) {
	bin := buildService(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := runCLI(t, testEnv(t, nil), "try", "--verbose", "--quiet")
	expect(t, r, exitOK)
	if !strings.Contains(r.stderr, "service binary on PATH") || !strings.Contains(r.stderr, bin) || strings.Contains(r.stderr, "building") {
		t.Errorf("--verbose does not name the service on PATH %s: %s", bin, r.stderr)
	}
	emptyDir(t, tmp)
}

// TestTryServiceFails: a service that exits before it is ready fails try
// with its log on stderr, and leaves nothing behind.
func TestTryServiceFails(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'cannot start: out of luck' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, serviceName), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	r := runCLI(t, testEnv(t, nil), "try")
	if r.code == exitOK {
		t.Fatal("try succeeded without a service")
	}
	for _, want := range []string{"cannot start: out of luck", "exited before it was ready", "exit status 3"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	emptyDir(t, tmp)
}

// TestTryServiceStops: the child stops and is waited for both when try
// stops it and when try's context ends (SIGINT or SIGTERM to the CLI).
func TestTryServiceStops(t *testing.T) {
	bin := buildService(t)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Run("stop", func(t *testing.T) {
		s, err := startTryService(context.Background(), t.TempDir(), io.Discard, log, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		if !s.cmd.ProcessState.Exited() || !s.cmd.ProcessState.Success() {
			t.Errorf("the service ended with %v, want a graceful exit", s.cmd.ProcessState)
		}
	})
	t.Run("signal", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := startTryService(ctx, t.TempDir(), io.Discard, log, false)
		if err != nil {
			t.Fatal(err)
		}
		cancel() // what the CLI's signal handler does
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			t.Fatal("the service did not stop when the context ended")
		}
		if err := s.stop(); err != nil {
			t.Errorf("stop after the signal: %v", err)
		}
	})
}

func TestModuleRoot(t *testing.T) {
	root := t.TempDir()
	write := func(path, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ours := filepath.Join(root, "ours")
	write(filepath.Join(ours, "go.mod"), "// a comment\nmodule "+modulePath+"\n\ngo 1.26.0\n")
	write(filepath.Join(ours, "cmd", "x", "x.go"), "package main\n")
	other := filepath.Join(ours, "examples", "other")
	write(filepath.Join(other, "go.mod"), "module \"example.com/other\"\n")
	if err := os.MkdirAll(filepath.Join(other, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ wd, want string }{
		{ours, ours},
		{filepath.Join(ours, "cmd", "x"), ours},
		{filepath.Join(other, "sub"), ""}, // another module's tree inside ours
		{root, ""},
	} {
		t.Chdir(tc.wd)
		if got := moduleRoot(); got != tc.want {
			t.Errorf("moduleRoot in %s = %q, want %q", tc.wd, got, tc.want)
		}
	}
}

// decodeSection decodes the JSON that follows a section's heading line.
func decodeSection(t *testing.T, section string, v any) {
	t.Helper()
	_, body, _ := strings.Cut(section, "\n")
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("section %q: %v", section, err)
	}
}

// emptyDir fails t unless dir is empty.
func emptyDir(t *testing.T, dir string) {
	t.Helper()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("try left %d entries in TMPDIR, first %s", len(left), left[0].Name())
	}
}

func requireGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

// buildService builds analyticsd into a directory of its own.
func buildService(t *testing.T) string {
	t.Helper()
	requireGo(t)
	bin := filepath.Join(t.TempDir(), serviceName)
	if out, err := exec.Command("go", "build", "-o", bin, "../"+serviceName).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// pathWithout is $PATH without the directories that hold name.
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			continue
		}
		keep = append(keep, dir)
	}
	return strings.Join(keep, string(os.PathListSeparator))
}
