package logfs

import (
	"os"
	"syscall"
)

// datasync is fdatasync: the data and what is needed to read it back, not
// the file's times.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
