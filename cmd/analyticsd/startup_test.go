//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTermDuringStartup: a whitelist file that is a named pipe blocks the
// service's start in its read; SIGTERM then stops it at once with a line
// saying so (issue 17.8: a FIFO hung start-up and SIGTERM was ignored).
func TestTermDuringStartup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	bin, dir := buildDaemon(t), t.TempDir()
	fifo := filepath.Join(dir, "whitelist.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, "webserver: { host: 127.0.0.1, port: 0 }\nanalytics: { data-directory: "+filepath.Join(dir, "data")+
		", whitelist-file: "+fifo+" }\n")
	cmd := exec.Command(bin, "--config", conf)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	// Opening the pipe for writing returns once the service has opened it
	// to read: it is then blocked in its start.
	opened := make(chan *os.File, 1)
	go func() {
		if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			opened <- w
		}
	}()
	select {
	case w := <-opened:
		defer w.Close()
	case err := <-exited:
		t.Fatalf("the service exited before reading the whitelist: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not open the whitelist file")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(stderr.String(), "start-up interrupted") {
			t.Errorf("exit %v, stderr %s; want status 1 and a line saying start-up was interrupted", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM during start-up: still running 10 s later")
	}
}
