package spool

import (
	"fmt"
	"os"
)

// checkLocked reports, as a sticky ErrLost, that the directory's lock file
// or the active segment is no longer the file the spool opened: the
// directory or its files were removed or replaced behind the spool's back,
// so records it wrote are gone (or will be, when their open files close).
// It costs two stat calls. After Close it has nothing to check: Close
// checked before closing the files.
func (s *Spool) checkLocked() error {
	if s.failed != nil || s.closed {
		return s.failed
	}
	return s.verifyLocked()
}

// verifyLocked is checkLocked for a spool whose files are open.
func (s *Spool) verifyLocked() error {
	// The files' own names are the paths they were opened under.
	err := sameFile(s.lock.Name(), s.lockID)
	if err == nil {
		seg := s.active()
		if seg.fID != nil {
			err = sameFile(seg.fPath, seg.fID)
		}
	}
	if err != nil {
		s.failed = fmt.Errorf("%w: %w", ErrLost, err)
	}
	return s.failed
}

// sameFile returns an error unless path names the file whose identity is id.
func sameFile(path string, id os.FileInfo) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !os.SameFile(fi, id) {
		return fmt.Errorf("%s was replaced by another file", path)
	}
	return nil
}
