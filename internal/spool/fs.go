package spool

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/logfs"
)

// diskFS is the spool's directory on disk as a logfs.FS: the seam every
// file operation of the spool goes through. Files are opened as openFile
// opens them (never through a symbolic link, only regular files), and
// Create removes whatever is at the name before it creates the file
// exclusively, so a planted link is replaced, never followed.
type diskFS string

var _ logfs.FS = diskFS("")

func (d diskFS) path(name string) string { return filepath.Join(string(d), name) }

// Create implements logfs.FS.
func (d diskFS) Create(name string) (logfs.File, error) {
	if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	f, err := openFile(d.path(name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return logfs.NewFile(f), nil
}

// Open implements logfs.FS.
func (d diskFS) Open(name string) (logfs.File, error) {
	f, err := openFile(d.path(name), os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return logfs.NewFile(f), nil
}

// Remove implements logfs.FS.
func (d diskFS) Remove(name string) error { return logfs.Dir(d).Remove(name) }

// Rename implements logfs.FS.
func (d diskFS) Rename(oldName, newName string) error { return logfs.Dir(d).Rename(oldName, newName) }

// List implements logfs.FS.
func (d diskFS) List() ([]string, error) { return logfs.Dir(d).List() }

// SyncDir implements logfs.FS.
func (d diskFS) SyncDir() error { return logfs.Dir(d).SyncDir() }

// readFile reads the whole file name of fsys.
func readFile(fsys logfs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Size()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n)
	if m, err := f.ReadAt(buf, 0); err != nil && !(errors.Is(err, io.EOF) && m == len(buf)) {
		return nil, err
	}
	return buf, nil
}

// removeIfExists removes name from fsys; a missing file is not an error.
func removeIfExists(fsys logfs.FS, name string) error {
	if err := fsys.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// fileID is the identity of f on disk, to notice its removal; nil for a
// file that is not on disk (a test's FS), which is then not checked.
func fileID(f logfs.File) (os.FileInfo, error) {
	if o := logfs.OSFile(f); o != nil {
		return o.Stat()
	}
	return nil, nil
}
