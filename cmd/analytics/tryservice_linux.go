package main

import (
	"os/exec"
	"syscall"
)

// orphanSignal has the kernel send the child SIGTERM should this program
// die without stopping it (SIGKILL, a crash), so that no development
// service outlives try.
func orphanSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
