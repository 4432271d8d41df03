package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
)

// storeConfig writes a configuration whose data directory holds a real
// store of n events, and returns the configuration and the store's path.
func storeConfig(t *testing.T, n int) (conf, path string) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	path = filepath.Join(data, boltstore.FileName)
	st, err := boltstore.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]store.Record, n)
	for i := range recs {
		recs[i] = store.Record{Kind: store.Events, Data: fmt.Appendf(nil, `{"event":"mark.%05d","timestamp":"2026-11-29T18:56:39.790Z"}`, i)}
	}
	recs = append(recs, store.Record{Kind: store.Snapshots, Data: []byte(`{"a":{"value":1}}`), Key: "snapshots:k", Sum: []byte("s")})
	for _, r := range st.Append(context.Background(), recs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	conf = filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, "webserver: { host: 127.0.0.1, port: 0 }\nanalytics.data-directory: "+data+"\n")
	return conf, path
}

// damages are real damage done to a real store file.
var damages = []struct {
	name, problem string
	do            func(t *testing.T, path string)
}{
	{"emptied", "the file is empty", func(t *testing.T, p string) { truncateFile(t, p, 0) }},
	{"truncated to half", "the file is truncated", func(t *testing.T, p string) { truncateFile(t, p, 0.5) }},
	{"data page overwritten", "", func(t *testing.T, p string) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		off := bytes.Index(data, []byte("mark.01000")) / 4096 * 4096
		copy(data[off:off+4096], bytes.Repeat([]byte{0xA5, 0x13}, 2048))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}},
}

func truncateFile(t *testing.T, path string, frac float64) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(info.Size())*frac)); err != nil {
		t.Fatal(err)
	}
}

// checkOneMessage checks that stderr is one line naming the file, the
// problem and what to do, and no Go trace.
func checkOneMessage(t *testing.T, stderr, prefix, path, problem string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	msg := lines[len(lines)-1]
	if len(lines) != 1 || !strings.HasPrefix(msg, prefix) {
		t.Errorf("stderr is not one %q line:\n%s", prefix, stderr)
	}
	for _, want := range []string{path, problem, "Restore it from a backup, or move it away to start with an empty store"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message does not say %q: %s", want, msg)
		}
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("a Go trace:\n%s", stderr)
	}
}

// TestDamagedStoreStopsStart: the service refuses to start on a damaged
// store with one message, and leaves the file as it was.
func TestDamagedStoreStopsStart(t *testing.T) {
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			conf, path := storeConfig(t, 3000)
			d.do(t, path)
			before, _ := os.ReadFile(path)
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"--config", conf, "--log-level", "warn"}, &out, &errb)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, errb.String())
			}
			checkOneMessage(t, errb.String(), "analyticsd: ", path, d.problem)
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Errorf("the damaged file changed: %d bytes, was %d", len(after), len(before))
			}
		})
	}
}

// TestDamagedStoreBinary runs the built daemon on a store truncated to
// half, which bbolt alone maps and faults on (SIGSEGV and a Go trace).
func TestDamagedStoreBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds analyticsd")
	}
	conf, path := storeConfig(t, 3000)
	truncateFile(t, path, 0.5)
	var errb bytes.Buffer
	cmd := exec.Command(buildDaemon(t), "--config", conf)
	cmd.Stderr = &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, errb.String())
	}
	checkOneMessage(t, errb.String(), "analyticsd: ", path, "the file is truncated")
}

func TestCheckCommand(t *testing.T) {
	conf, path := storeConfig(t, 1200)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 0 {
		t.Fatalf("sound store: exit %d: %s", code, errb.String())
	}
	for _, want := range []string{path + ": sound", "events:           1200", "snapshots:        1", "idempotency keys: 1", "in use:           ", " of 1.0 GiB (analytics.max-store-bytes)", "file size:        "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	truncateFile(t, path, 0.5)
	out.Reset()
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 1 {
		t.Errorf("damaged store: exit %d", code)
	}
	checkOneMessage(t, errb.String(), "analyticsd check: ", path, "the file is truncated")

	os.Remove(path)
	out.Reset()
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 0 || !strings.Contains(out.String(), "no store yet") {
		t.Errorf("no store: exit %d: %s", code, out.String())
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("check created a store")
	}
	for _, args := range [][]string{{"check", "--config", conf, "--data-dir", "d"}, {"check", "--bogus"}, {"check", "extra"}} {
		errb.Reset()
		if code := run(context.Background(), args, &out, &errb); code != 2 || strings.Count(errb.String(), "\n") != 1 ||
			!strings.Contains(errb.String(), "see analyticsd check --help") {
			t.Errorf("%q: exit %d, want 2 and one line: %q", args, code, errb.String())
		}
	}
	out.Reset()
	if code := run(context.Background(), []string{"check", "--help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "--data-dir DIR") {
		t.Errorf("check --help: exit %d: %s", code, out.String())
	}
}

// TestCheckDevStore: check reads the development service's store, in
// --data-dir or, with no flag, at its default location, which it names.
func TestCheckDevStore(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	defaultDir := devenv.DefaultDir()
	if !strings.HasPrefix(defaultDir, cache) {
		t.Skipf("the user cache directory is not under $XDG_CACHE_HOME here: %s", defaultDir)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check"}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), "checking the development service's store in "+defaultDir) ||
		!strings.Contains(out.String(), filepath.Join(defaultDir, boltstore.FileName)+": no store yet") {
		t.Errorf("check with no store: exit %d: %s %s", code, out.String(), errb.String())
	}

	dir := t.TempDir()
	s := startRun(t, []string{"--data-dir", dir, "--listen", "127.0.0.1:0"}, false)
	mustStatus(t, devClient(t, dir), "POST", s.url+"/commands/event", `{"event":"dev"}`, 200)
	s.stop(t)
	out.Reset()
	if code := run(context.Background(), []string{"check", "--data-dir", dir}, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), filepath.Join(dir, boltstore.FileName)+": sound") || !strings.Contains(out.String(), "events:           1\n") {
		t.Errorf("check --data-dir: exit %d: %s %s", code, out.String(), errb.String())
	}
}

// TestCheckWhileServing: the running service holds the store; check says
// so instead of reading a file that is being written.
func TestCheckWhileServing(t *testing.T) {
	conf, _ := storeConfig(t, 10)
	startRun(t, []string{"--config", conf, "--log-level", "info"}, true)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "is the service running?") {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}

func TestMaxStoreBytesSetting(t *testing.T) {
	base := "analytics.data-directory: /x\nwebserver.port: 0\n"
	cfg, err := loadConfig(writeTemp(t, base+"analytics.max-store-bytes: 1048576\n"), nil)
	if err != nil || cfg.MaxStoreBytes != 1<<20 {
		t.Errorf("set: %d %v", cfg.MaxStoreBytes, err)
	}
	_, err = loadConfig(writeTemp(t, base+"analytics.max-store-bytes: 0\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "analytics.max-store-bytes: 0 is not a positive number of bytes") {
		t.Errorf("zero: %v", err)
	}
}
