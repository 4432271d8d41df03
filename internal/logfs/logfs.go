// Package logfs is the file seam of the append-only logs (the store's
// write-ahead log, internal/store/wal; the reporter's spool can use it too):
// the few file and directory operations a log needs, behind a small
// interface that production code goes through (Dir, the directory on disk)
// and that tests replace with one that loses power (internal/logfs/powercut).
package logfs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// FS is the directory a log keeps its files in: the seam through which the
// log does all its file I/O. Dir is the one on disk; the power-cut tests use
// one that forgets every write not followed by a Sync.
type FS interface {
	// Create creates the file name, truncating it if it exists.
	Create(name string) (File, error)
	// Open opens the existing file name for reading and writing.
	Open(name string) (File, error)
	// Remove removes the file name.
	Remove(name string) error
	// Rename renames a file, replacing newName if it exists.
	Rename(oldName, newName string) error
	// List returns the names of the directory's files, sorted.
	List() ([]string, error)
	// SyncDir makes creations, renames and removals durable.
	SyncDir() error
}

// File is an open file of a log.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Sync makes the file's written data durable (fdatasync where there is
	// one: a log that overwrites pre-allocated blocks needs no sync of the
	// file's size).
	Sync() error
	Truncate(size int64) error
	// Size is the file's size.
	Size() (int64, error)
	Close() error
}

// Dir is the FS of a directory on disk.
type Dir string

var _ FS = Dir("")

// Create implements FS.
func (d Dir) Create(name string) (File, error) {
	f, err := os.OpenFile(filepath.Join(string(d), name), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Open implements FS.
func (d Dir) Open(name string) (File, error) {
	f, err := os.OpenFile(filepath.Join(string(d), name), os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// Remove implements FS.
func (d Dir) Remove(name string) error { return os.Remove(filepath.Join(string(d), name)) }

// Rename implements FS.
func (d Dir) Rename(oldName, newName string) error {
	return os.Rename(filepath.Join(string(d), oldName), filepath.Join(string(d), newName))
}

// List implements FS.
func (d Dir) List() ([]string, error) {
	entries, err := os.ReadDir(string(d))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// SyncDir implements FS.
func (d Dir) SyncDir() error {
	f, err := os.Open(string(d))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", d, err)
	}
	return nil
}

// MkdirAll creates the directory (and its parents) if it is not there.
func (d Dir) MkdirAll() error { return os.MkdirAll(string(d), 0o750) }

// NewFile wraps f, an open file on disk, as a File (its Sync is
// fdatasync): for a log that opens its files itself, with checks of its
// own, and does its I/O through the seam.
func NewFile(f *os.File) File { return osFile{f} }

// OSFile returns the file on disk under f, a File of Dir or NewFile, or nil
// for any other File.
func OSFile(f File) *os.File {
	if o, ok := f.(osFile); ok {
		return o.File
	}
	return nil
}

type osFile struct{ *os.File }

func (f osFile) Sync() error { return datasync(f.File) }

func (f osFile) Size() (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}
