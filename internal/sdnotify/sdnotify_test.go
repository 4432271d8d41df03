package sdnotify

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// listen makes a real notification socket, as systemd does, and returns a
// function that reads the next datagram (with a deadline).
func listen(t *testing.T) (string, func() string) {
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
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no notification: %v", err)
		}
		return string(buf[:n])
	}
}

func TestStates(t *testing.T) {
	path, next := listen(t)
	n := New(path)
	if err := n.Ready("serving"); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "READY=1\nSTATUS=serving\n" {
		t.Fatalf("ready sent %q", got)
	}
	if err := n.Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != "STOPPING=1\nSTATUS=stopping\n" {
		t.Fatalf("stopping sent %q", got)
	}
}

func TestReloadingCarriesMonotonicTime(t *testing.T) {
	path, next := listen(t)
	before, _ := monotonicUsec()
	if err := New(path).Reloading(); err != nil {
		t.Fatal(err)
	}
	after, _ := monotonicUsec()
	lines := strings.Split(strings.TrimSuffix(next(), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "RELOADING=1" || lines[2] != "STATUS=reloading" {
		t.Fatalf("reloading sent %q", lines)
	}
	usec, err := strconv.ParseUint(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("second line %q is not MONOTONIC_USEC=N", lines[1])
	}
	if usec < before || usec > after {
		t.Fatalf("MONOTONIC_USEC=%d is not between %d and %d (CLOCK_MONOTONIC)", usec, before, after)
	}
}

func TestAbstractSocket(t *testing.T) {
	name := "@analytics-sdnotify-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Skipf("no abstract sockets here: %v", err)
	}
	defer conn.Close()
	if err := New(name).Send("READY=1"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1\n" {
		t.Fatalf("abstract socket got %q, %v", buf[:n], err)
	}
}

func TestDisabledSendsNothing(t *testing.T) {
	var nilN *Notifier
	for _, n := range []*Notifier{nilN, New(""), {}} {
		if n.Enabled() {
			t.Fatalf("%+v is enabled", n)
		}
		if err := n.Ready("x"); err != nil {
			t.Fatalf("disabled notifier: %v", err)
		}
	}
}

func TestSendRefusesBadLines(t *testing.T) {
	path, _ := listen(t)
	for _, l := range []string{"READY", "READY=1\nSTOPPING=1"} {
		if err := New(path).Send(l); err == nil {
			t.Errorf("Send(%q) was accepted", l)
		}
	}
}

func TestMissingSocketIsAnError(t *testing.T) {
	if err := New(filepath.Join(t.TempDir(), "none")).Ready("x"); err == nil {
		t.Fatal("a missing socket was not reported")
	}
}
