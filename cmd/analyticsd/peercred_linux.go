package main

import (
	"log/slog"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// peerChecked accepts backup connections only from root and the service's
// own user, by the kernel's word (SO_PEERCRED), whatever the socket file's
// mode: a defence in depth should the data directory be opened up.
type peerChecked struct {
	net.Listener
	log *slog.Logger
	// allow reports whether a user id may connect; nil allows root and
	// the service's own user.
	allow func(uid int) bool
}

// Accept returns the next connection of an allowed user and closes the
// others.
func (l peerChecked) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		uid, ok := peerUID(c)
		if ok && l.allowed(uid) {
			return c, nil
		}
		l.log.Warn("backup socket: connection refused: not root or the service's user", "uid", uid)
		_ = c.Close()
	}
}

func (l peerChecked) allowed(uid int) bool {
	if l.allow != nil {
		return l.allow(uid)
	}
	return uid == 0 || uid == os.Getuid()
}

// peerUID is the user id of the process at the other end of c.
func peerUID(c net.Conn) (int, bool) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, false
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || credErr != nil {
		return -1, false
	}
	return int(cred.Uid), true
}
