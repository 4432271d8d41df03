// Package sdnotify tells the service manager (systemd) how the service is
// doing: the sd_notify protocol, a datagram of NAME=value lines sent to the
// unix socket named by $NOTIFY_SOCKET. A unit with Type=notify waits for
// READY=1 before it counts the service as started; STOPPING=1 and
// RELOADING=1 say a stop or a reload is under way.
//
// It is a few lines rather than a dependency: the protocol is one
// datagram (see sd_notify(3)).
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// Notifier sends states to one notification socket. The zero value and a
// nil *Notifier send nothing, so a service started without a service
// manager (no $NOTIFY_SOCKET) uses the same code.
type Notifier struct {
	socket string
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET; it sends nothing when the
// variable is not set.
func FromEnv() *Notifier { return New(os.Getenv("NOTIFY_SOCKET")) }

// New returns a Notifier for the socket at path: a file path, or an
// abstract socket name starting with "@". An empty path sends nothing.
func New(path string) *Notifier { return &Notifier{socket: path} }

// Enabled reports whether states are sent anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.socket != "" }

// Send sends one notification: NAME=value lines, e.g. "READY=1" or
// "STATUS=serving". It does nothing when the Notifier is not enabled.
func (n *Notifier) Send(lines ...string) error {
	if !n.Enabled() {
		return nil
	}
	for _, l := range lines {
		if !strings.Contains(l, "=") || strings.Contains(l, "\n") {
			return fmt.Errorf("sdnotify: %q is not one NAME=value line", l)
		}
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: n.socket, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		return fmt.Errorf("sdnotify: send to %s: %w", n.socket, err)
	}
	return nil
}

// Ready says the service is up: every listener is bound and the store is
// open. status is shown by systemctl status.
func (n *Notifier) Ready(status string) error {
	return n.Send("READY=1", "STATUS="+status)
}

// Stopping says the service is stopping gracefully.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1", "STATUS=stopping") }

// Reloading says a reload has begun; send Ready when it is over. It carries
// the time of CLOCK_MONOTONIC as MONOTONIC_USEC, which systemd 253 and
// later use to tell this reload from an earlier one.
func (n *Notifier) Reloading() error {
	lines := []string{"RELOADING=1"}
	if usec, ok := monotonicUsec(); ok {
		lines = append(lines, fmt.Sprintf("MONOTONIC_USEC=%d", usec))
	}
	return n.Send(append(lines, "STATUS=reloading")...)
}
