//go:build !linux

package main

import "os/exec"

// orphanSignal does nothing here: only Linux can signal a child when its
// parent dies.
func orphanSignal(*exec.Cmd) {}
