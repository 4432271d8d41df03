package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The version buildDaemon stamps into the binary, as .ci/package does.
const (
	stampVar    = "github.com/analytics-client/analytics/internal/version.stamped"
	testVersion = "0.0.0-test"
)

// notifySocket listens as systemd does for a Type=notify service and
// returns the socket's path and a function that reads the next
// notification.
func notifySocket(t *testing.T) (string, func() string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return path, func() string {
		t.Helper()
		buf := make([]byte, 4096)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification from analyticsd: %v", err)
		}
		return string(buf[:n])
	}
}

// TestNotifyReadyReloadStop runs the built analyticsd as systemd would run
// a Type=notify unit: READY=1 comes only once the HTTPS listener and the
// backup socket accept and the start line (with the version) is logged;
// SIGHUP is wrapped in RELOADING=1 (with MONOTONIC_USEC) and READY=1;
// SIGTERM sends STOPPING=1 and the service exits 0.
func TestNotifyReadyReloadStop(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	s := newBackupSite(t)
	sock, next := notifySocket(t)
	cmd := exec.Command(buildDaemon(t), "--config", s.conf)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	log := newLogWatch()
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	ready := next()
	status, ok := strings.CutPrefix(ready, "READY=1\nSTATUS=serving ")
	if !ok {
		t.Fatalf("first notification %q, want READY=1 with the URL in STATUS", ready)
	}
	// Ready means ready: the HTTPS listener and the backup socket answer
	// at once, no retrying.
	url := strings.TrimSpace(status)
	if code, body := send(t, s.client, "GET", url, "", ""); code != 200 || !strings.Contains(body, `"server":"`+testVersion+`"`) {
		t.Fatalf("entrypoint at READY: %d %s", code, body)
	}
	conn, err := net.Dial("unix", filepath.Join(s.data, backupSocketName))
	if err != nil {
		t.Fatalf("backup socket at READY: %v", err)
	}
	conn.Close()
	if line := log.await(t, 0, "analytics service started"); !strings.Contains(line, "version="+testVersion) {
		t.Errorf("start line without the version: %s", line)
	}

	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	reloading := next()
	if !strings.HasPrefix(reloading, "RELOADING=1\nMONOTONIC_USEC=") {
		t.Fatalf("after SIGHUP %q, want RELOADING=1 with MONOTONIC_USEC", reloading)
	}
	if got := next(); !strings.HasPrefix(got, "READY=1\n") {
		t.Fatalf("after the reload %q, want READY=1", got)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := next(); !strings.HasPrefix(got, "STOPPING=1\n") {
		t.Fatalf("after SIGTERM %q, want STOPPING=1", got)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
	}
}

// TestVersionFlag: both spellings print the stamped version.
func TestVersionFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("builds analyticsd")
	}
	bin := buildDaemon(t)
	for _, arg := range []string{"--version", "version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil || !strings.HasPrefix(string(out), "analyticsd "+testVersion+" go") {
			t.Errorf("analyticsd %s = %q, %v", arg, out, err)
		}
	}
}

// TestOpenFilesLimit: connection limits the open-files limit cannot carry
// are refused at start, naming LimitNOFILE.
func TestOpenFilesLimit(t *testing.T) {
	s := newBackupSite(t)
	conf := s.migrateSite.conf(t, "many.conf", "analytics.data-directory: "+s.data+"\nwebserver.max-connections: 100000000\n")
	code, _, errOut := s.cmd(t, "--config", conf)
	if code != 1 || !strings.Contains(errOut, "LimitNOFILE") {
		t.Fatalf("start with 1e8 connections = %d, want 1 naming LimitNOFILE; stderr: %s", code, errOut)
	}
}
