//go:build unix

package main

import "syscall"

// raiseFileLimit raises the soft limit of open files to the hard limit:
// the service's connection bound follows the soft limit (see
// server.Config.MaxConnections), and the Go runtime alone stops one short
// of the hard limit. A failure leaves the limit as it was.
func raiseFileLimit() {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
}
