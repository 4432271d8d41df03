//go:build unix

package spool

import (
	"fmt"
	"os"
	"syscall"
)

// openFile opens path, a file in the spool directory, never through a
// symbolic link (O_NOFOLLOW: a planted link fails with ELOOP rather than
// redirect a write) and only if it is a regular file. O_NONBLOCK keeps a
// FIFO planted there from blocking the open; it changes nothing for a
// regular file.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s is not a regular file (%v)", path, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkDir opens dir, refusing a symbolic link, anything but a directory,
// one owned by another user, and one that other users may write to (they
// could plant files the spool would deliver or follow). A directory that
// others may only read is made private (0700) through the opened handle,
// so a link swapped in meanwhile is never chmod'ed.
func checkDir(dir string) error {
	d, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_DIRECTORY, 0)
	if err != nil {
		if fi, lerr := os.Lstat(dir); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("spool: directory %s is a symbolic link; give the real path", dir)
		}
		return fmt.Errorf("spool: open directory: %w", err)
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return fmt.Errorf("spool: directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("spool: directory %s is owned by uid %d, not by this process's user (uid %d)", dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("spool: directory %s is writable by other users (mode %v); make it 0700", dir, fi.Mode().Perm())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := d.Chmod(0o700); err != nil {
			return fmt.Errorf("spool: directory %s is readable by others and cannot be made private: %w", dir, err)
		}
	}
	return nil
}
