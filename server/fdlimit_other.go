//go:build !unix

package server

// fileLimit is the process's soft limit of open files: unknown here.
func fileLimit() uint64 { return 0 }
