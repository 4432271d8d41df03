//go:build !unix

package spool

import (
	"errors"
	"os"
)

// lockDir fails: directory locking is implemented with flock(2) only.
func lockDir(dir string) (*os.File, error) {
	return nil, errors.New("spool: lock: not supported on this platform")
}
