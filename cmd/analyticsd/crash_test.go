package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// child is analyticsd running as a separate process.
type child struct {
	cmd *exec.Cmd
	url string
	out chan struct{} // closed when stdout is drained
}

// daemon is this command, built once for every test of the process that
// runs it as a separate program (linking it takes seconds); TestMain
// removes its directory.
var daemon struct {
	once     sync.Once
	dir, bin string
	out      []byte
	err      error
}

// buildDaemon returns the path of this command, compiled on first use.
func buildDaemon(t testing.TB) string {
	t.Helper()
	daemon.once.Do(func() {
		if daemon.dir, daemon.err = os.MkdirTemp("", "analyticsd-test-"); daemon.err != nil {
			return
		}
		daemon.bin = filepath.Join(daemon.dir, "analyticsd")
		daemon.out, daemon.err = exec.Command("go", "build", "-o", daemon.bin, "-ldflags", "-X "+stampVar+"="+testVersion, ".").CombinedOutput()
	})
	if daemon.err != nil {
		t.Fatalf("go build: %v\n%s", daemon.err, daemon.out)
	}
	return daemon.bin
}

// startChild runs the development service on dir and waits for its URL.
func startChild(t testing.TB, bin, dir string) *child {
	t.Helper()
	cmd := exec.Command(bin, "--data-dir", dir, "--listen", "127.0.0.1:0", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(c.out)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "  url:"); ok {
				found <- strings.TrimSpace(u)
			}
		}
		close(found)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case c.url = <-found:
	case <-time.After(30 * time.Second):
	}
	if c.url == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child printed no URL; stderr: %s", stderr.String())
	}
	return c
}

// stop signals the child and waits for it to exit.
func (c *child) stop(t testing.TB, sig syscall.Signal) error {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	<-c.out
	return c.cmd.Wait()
}

// acked records the entries the service acknowledged with 200.
type acked struct {
	mu        sync.Mutex
	events    []string
	snapshots []string
}

func (a *acked) add(kind, name string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if kind == "event" {
		a.events = append(a.events, name)
	} else {
		a.snapshots = append(a.snapshots, name)
	}
	return len(a.events) + len(a.snapshots)
}

// TestCrashKeepsAcknowledgedEntries kills the service with SIGKILL while
// clients are storing, restarts it on the same data directory, and checks
// that every acknowledged entry is there exactly once.
func TestCrashKeepsAcknowledgedEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	bin, dir := buildDaemon(t), t.TempDir()
	first := startChild(t, bin, dir)
	client := devClient(t, dir)
	var a acked
	const workers, enough = 4, 400
	reached := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			storeUntilDown(client, first.url, w, &a, func() { once.Do(func() { close(reached) }) }, enough, nil)
		}()
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("clients did not reach enough acknowledgements within 60 s")
	}
	_ = first.stop(t, syscall.SIGKILL) // "signal: killed" is expected
	wg.Wait()
	client.Transport.(*http.Transport).CloseIdleConnections()

	second := startChild(t, bin, dir)
	checkAcked(t, devClient(t, dir), second.url, &a)
	if err := second.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// storeUntilDown alternates events and snapshots with names unique to the
// worker until the service stops answering or stop is closed (nil: never).
func storeUntilDown(c *http.Client, url string, w int, a *acked, reached func(), enough int, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		kind, name := "event", fmt.Sprintf("crash.%d.%d", w, i)
		body := `{"event":"` + name + `"}`
		if i%2 == 1 {
			kind, body = "snapshot", `{"fields":{"`+name+`":`+fmt.Sprint(i)+`}}`
		}
		resp, err := c.Post(url+"/commands/"+kind, "application/json", strings.NewReader(body))
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && a.add(kind, name) >= enough {
			reached()
		}
	}
}

func checkAcked(t *testing.T, c *http.Client, url string, a *acked) {
	t.Helper()
	var events []struct {
		Event string `json:"event"`
	}
	if err := json.Unmarshal([]byte(mustStatus(t, c, "GET", url+"/collections/events", "", 200)), &events); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range events {
		seen[e.Event]++
	}
	var snaps []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(mustStatus(t, c, "GET", url+"/collections/snapshots", "", 200)), &snaps); err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		for k := range s {
			seen[k]++
		}
	}
	for _, name := range append(append([]string(nil), a.events...), a.snapshots...) {
		if seen[name] != 1 {
			t.Errorf("acknowledged %s stored %d times after the crash", name, seen[name])
		}
	}
	t.Logf("%d events and %d snapshots acknowledged; %d events and %d snapshots stored",
		len(a.events), len(a.snapshots), len(events), len(snaps))
}
