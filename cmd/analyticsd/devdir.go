package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// privateDir makes sure dir is the development service's own: it is
// created with mode 0700 when missing, and refused when it exists but is
// not a directory, belongs to another user, or is writable by group or
// others (someone else could then replace its certificates or read and
// change its data).
func privateDir(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("development data directory %s: %w", dir, err)
		}
		return os.Chmod(dir, 0o700) // MkdirAll's mode is reduced by the umask
	}
	if err != nil {
		return fmt.Errorf("development data directory %s: %w", dir, err)
	}
	switch {
	case !info.IsDir():
		return fmt.Errorf("development data directory %s is not a directory", dir)
	case !ownedByMe(info):
		return fmt.Errorf("development data directory %s belongs to another user; use a directory of your own (--data-dir)", dir)
	case info.Mode().Perm()&0o022 != 0:
		return fmt.Errorf("development data directory %s is writable by group or others (mode %04o); run chmod go-w on it or use another --data-dir", dir, info.Mode().Perm())
	}
	return nil
}
