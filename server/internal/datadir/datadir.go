// Package datadir checks the service's data directory before the store
// opens its file there, so that the directory cannot be used to redirect
// the store's writes or hang its start.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/confcheck"
)

// Check refuses a data directory that another user owns or that
// others may write to, and a store path that is not a regular file of
// this user (a symbolic link, a named pipe, a device). Whoever can write
// to the directory could otherwise put a link there that the store opens
// and writes through, or a named pipe whose open never returns. With the
// directory ours alone, nothing can replace the file between this check
// and the store's open. A directory or file that does not exist yet is
// created by the store, as its owner. file is the store's file name in
// dir. The error is a *confcheck.Error naming the field DataDir.
func Check(dir, file string) error {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return nil // missing: the store creates it; unreadable: the store says why
	case !fi.IsDir():
		return &confcheck.Error{Field: "DataDir", File: dir, Reason: "is not a directory"}
	}
	if err := checkOwner(dir, fi); err != nil {
		return err
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &confcheck.Error{Field: "DataDir", File: dir, Reason: fmt.Sprintf(
			"may be written by other users (mode %v): make it writable by its owner only (chmod go-w)", fi.Mode().Perm())}
	}
	path := filepath.Join(dir, file)
	fi, err = os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return &confcheck.Error{Field: "DataDir", File: path, Reason: "cannot be read", Err: err}
	case !fi.Mode().IsRegular():
		return &confcheck.Error{Field: "DataDir", File: path, Reason: "is not a regular file (" + fileKind(fi.Mode()) +
			"): the store is opened only as a regular file, never through a link"}
	}
	return checkOwner(path, fi)
}

// fileKind names the type of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}
