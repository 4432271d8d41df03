//go:build !unix

package spool

import "os"

// openFile opens path; see files_unix.go.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag, perm)
}

// checkDir accepts dir; see files_unix.go.
func checkDir(dir string) error { return nil }
