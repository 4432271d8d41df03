package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"

	"github.com/analytics-client/analytics/internal/logfs"
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

// readIDBound reads the ID bound from the ids file of fsys.
func readIDBound(fsys logfs.FS) (uint64, idBoundState, error) {
	b, err := readFile(fsys, idsName)
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
	b := append([]byte(idsMagic), make([]byte, 8)...)
	binary.LittleEndian.PutUint64(b[8:], bound)
	b = binary.LittleEndian.AppendUint32(b, recordio.Checksum(b))
	tmp := idsName + ".tmp"
	if err := s.writeFileSync(tmp, b); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	if err := s.fs.Rename(tmp, idsName); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	if err := s.fs.SyncDir(); err != nil {
		return fmt.Errorf("spool: write id bound: %w", err)
	}
	return nil
}

// writeFileSync creates the file name afresh (on disk, whatever was there,
// a planted link included, is removed first: see diskFS.Create), writes b
// and fsyncs it.
func (s *Spool) writeFileSync(name string, b []byte) error {
	f, err := s.fs.Create(name)
	if err != nil {
		return err
	}
	_, err = s.opts.Write(f, b, 0)
	if err == nil {
		err = s.opts.Fsync(f)
	}
	return errors.Join(err, f.Close())
}
