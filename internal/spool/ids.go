package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/recordio"
)

const (
	idsName  = "ids"
	idsMagic = "ANSPIDS1"
	idsSize  = 20
	// idBlock is how far the ID bound is raised at a time.
	idBlock = 1 << 16
	// idJump is added to the next ID when the ids file is missing or
	// damaged although records exist, to stay clear of IDs that may have
	// been handed out for records lost in a crash.
	idJump = 1 << 32
)

// idBoundState says what readIDBound found.
type idBoundState int

const (
	idBoundMissing idBoundState = iota
	idBoundValid
	idBoundDamaged
)

// readIDBound reads the ID bound from dir's ids file.
func readIDBound(dir string) (uint64, idBoundState, error) {
	b, err := readFile(filepath.Join(dir, idsName))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, idBoundMissing, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("spool: read id bound: %w", err)
	}
	if len(b) != idsSize || string(b[:8]) != idsMagic ||
		recordio.Checksum(b[:16]) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, idBoundDamaged, nil
	}
	return binary.LittleEndian.Uint64(b[8:16]), idBoundValid, nil
}

// writeIDBound durably replaces dir's ids file with bound: the new content
// is written and fsynced under a temporary name, renamed over the old file,
// and the directory is fsynced, so a crash leaves either bound or the old one.
func (s *Spool) writeIDBound(bound uint64) error {
	dir := s.dir
	b := append([]byte(idsMagic), make([]byte, 8)...)
	binary.LittleEndian.PutUint64(b[8:], bound)
	b = binary.LittleEndian.AppendUint32(b, recordio.Checksum(b))
	tmp := filepath.Join(dir, idsName+".tmp")
	if err := s.writeFileSync(tmp, b); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, idsName)); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	if err := s.syncDir(); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	return nil
}

// writeFileSync creates path afresh (whatever was there, a planted link
// included, is removed first), writes b and fsyncs it.
func (s *Spool) writeFileSync(path string, b []byte) error {
	if err := removeIfExists(path); err != nil {
		return err
	}
	f, err := openFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = s.opts.Write(f, b, 0)
	if err == nil {
		err = s.opts.Fsync(f)
	}
	return errors.Join(err, f.Close())
}

// syncDir fsyncs the spool's directory, making file creations, renames and
// removals in it durable.
func (s *Spool) syncDir() error {
	d, err := os.Open(s.dir) // a directory: O_NOFOLLOW would refuse nothing Open checked
	if err != nil {
		return err
	}
	err = s.opts.Fsync(d)
	return errors.Join(err, d.Close())
}
