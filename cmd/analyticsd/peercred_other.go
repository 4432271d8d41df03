//go:build !linux

package main

import (
	"log/slog"
	"net"
)

// peerChecked relies on the socket's file mode (0600 in a 0700 directory)
// where the kernel's peer credentials are not read.
type peerChecked struct {
	net.Listener
	log   *slog.Logger
	allow func(uid int) bool // unused here
}
