package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/devenv"
)

// The development service refuses a --listen address off loopback unless
// --allow-remote says so, before it creates anything.
func TestDevListenLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:14455": "means every interface", ":14455": "means every interface", "[::]:14455": "means every interface",
		"10.1.2.3:14455": "is not a loopback address", "example.com:1": "is not a loopback address",
		"14455": "is not host:port",
	} {
		dir := filepath.Join(t.TempDir(), "dev")
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"--data-dir", dir, "--listen", addr}, &out, &errb)
		if code != 2 || strings.Count(errb.String(), "\n") != 1 || !strings.Contains(errb.String(), "--listen "+addr+" "+want) {
			t.Errorf("--listen %s: exit %d, stderr %q; want 2 and one line saying %q", addr, code, errb.String(), want)
		}
		if want != "is not host:port" && !strings.Contains(errb.String(), "--allow-remote") {
			t.Errorf("--listen %s: the message does not name --allow-remote: %s", addr, errb.String())
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("--listen %s: the data directory was created", addr)
		}
	}
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"--config", "x.conf", "--allow-remote"}, io.Discard, &errb); code != 2 {
		t.Errorf("--allow-remote with --config: exit %d: %s", code, errb.String())
	}
	// Said so, it listens on every interface.
	s := startRun(t, []string{"--data-dir", t.TempDir(), "--listen", "0.0.0.0:0", "--allow-remote", "--log-level", "warn"}, false)
	u := strings.TrimPrefix(s.url, "https://")
	_, port, _ := net.SplitHostPort(strings.TrimSuffix(u, "/analytics"))
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("--allow-remote 0.0.0.0: %v", err)
	}
	conn.Close()
}

// devPage starts the development service with args and returns the line
// that names its operator page, and the page's URL.
func devPage(t *testing.T, args ...string) (line, page string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append(args, "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--log-level", "warn"), outW, io.Discard)
		outW.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d", c)
		}
	})
	found := make(chan string, 1)
	go func() {
		defer close(found)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "operator page") {
				found <- sc.Text()
				break
			}
		}
		_, _ = io.Copy(io.Discard, outR)
	}()
	select {
	case line = <-found:
	case <-time.After(30 * time.Second):
	}
	_, page, ok := strings.Cut(line, ": ")
	if !ok {
		t.Fatalf("no operator page line: %q", line)
	}
	page, _, _ = strings.Cut(page, " ")
	return line, page
}

// The operator page has a stable port, 14434, and falls back to a free
// one when it is taken, saying so; its root leads to the page.
func TestDevAdminPort(t *testing.T) {
	held, err := net.Listen("tcp", devenv.DefaultAdminAddr)
	if err == nil {
		defer held.Close()
	} // else someone else holds it, which serves this half as well
	line, page := devPage(t)
	if strings.Contains(page, ":14434/") || !strings.Contains(line, "(port 14434 was taken; the page is on port ") {
		t.Errorf("default taken: %q", line)
	}
	resp, err := http.Get(strings.TrimSuffix(page, "/view") + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/view" {
		t.Errorf("GET / ended at %s with %d, want the page", resp.Request.URL, resp.StatusCode)
	}
	if held == nil {
		t.Skip("another process holds port 14434")
	}
	held.Close()
	line, page = devPage(t)
	if strings.Contains(line, "was taken") {
		t.Skipf("another process took port 14434 meanwhile: %s", line)
	}
	if page != "http://"+devenv.DefaultAdminAddr+"/view" {
		t.Errorf("page %s, want the stable port: %q", page, line)
	}
}
