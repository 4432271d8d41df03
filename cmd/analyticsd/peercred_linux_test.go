package main

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBackupSocketChecksPeer: the backup socket hands a connection on only
// when the kernel says the caller's user may have a copy; others are
// closed unanswered, whatever the socket file's mode.
func TestBackupSocketChecksPeer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		allow  func(int) bool
		accept bool
	}{
		{"own user", func(uid int) bool { return uid == os.Getuid() }, true},
		{"another user", func(uid int) bool { return uid != os.Getuid() }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
			if err != nil {
				t.Fatal(err)
			}
			pc := peerChecked{Listener: ln, log: slog.New(slog.DiscardHandler), allow: tc.allow}
			accepted := make(chan net.Conn, 1)
			go func() {
				c, err := pc.Accept()
				if err == nil {
					accepted <- c
				}
				close(accepted)
			}()
			c, err := net.Dial("unix", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if tc.accept {
				if got := <-accepted; got == nil {
					t.Fatal("the allowed caller was not accepted")
				} else {
					got.Close()
				}
				ln.Close()
				return
			}
			// A refused caller sees its connection closed.
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil || n > 0 {
				t.Fatalf("the refused caller could read (%d bytes, %v)", n, err)
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the refused caller's connection was left open")
			}
			ln.Close()
			if got := <-accepted; got != nil {
				t.Fatal("a refused caller was handed on")
			}
		})
	}
}
