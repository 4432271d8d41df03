package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/analytics-client/analytics/internal/recordio"
)

// recover rebuilds the index from the directory, repairing what a crash may
// have left behind, and makes sure there is an active segment.
func (s *Spool) recover() error {
	names, err := s.fs.List() // regular files only
	if err != nil {
		return fmt.Errorf("spool: recover: %w", err)
	}
	var segBases, ackBases []uint64
	for _, name := range names {
		base, ext, ok := parseName(name)
		switch {
		case !ok:
		case ext == segExt:
			segBases = append(segBases, base)
		default:
			ackBases = append(ackBases, base)
		}
	}
	slices.Sort(segBases)
	for _, base := range ackBases {
		if _, found := slices.BinarySearch(segBases, base); !found {
			s.log.Info("removing ack file of a deleted segment", "file", ackName(base))
			if err := removeIfExists(s.fs, ackName(base)); err != nil {
				return fmt.Errorf("spool: recover: %w", err)
			}
		}
	}

	var lastID uint64
	for i, base := range segBases {
		seg, err := s.loadSegment(base, i == len(segBases)-1)
		if err != nil {
			return fmt.Errorf("spool: recover: %w", err)
		}
		s.segs = append(s.segs, seg)
		if n := len(seg.recs); n > 0 {
			lastID = seg.recs[n-1].id
		}
	}
	if err := s.recoverIDs(lastID); err != nil {
		return err
	}
	if len(s.segs) == 0 {
		seg, err := s.createSegment(s.nextID)
		if err != nil {
			return fmt.Errorf("spool: recover: %w", err)
		}
		s.segs = append(s.segs, seg)
	}
	for _, seg := range slices.Clone(s.segs[:len(s.segs)-1]) {
		if seg.live == 0 {
			if err := s.deleteSegmentLocked(seg); err != nil {
				return fmt.Errorf("spool: recover: %w", err)
			}
		}
	}
	return nil
}

// recoverIDs sets the next ID from the ID bound, the last record and the
// active segment's name, whichever is greatest.
func (s *Spool) recoverIDs(lastID uint64) error {
	bound, state, err := readIDBound(s.fs)
	if err != nil {
		return err
	}
	s.nextID = max(1, lastID+1, bound)
	if n := len(s.segs); n > 0 {
		s.nextID = max(s.nextID, s.segs[n-1].base)
	}
	if state == idBoundValid {
		s.idBound = bound
		return nil
	}
	if state == idBoundDamaged || s.nextID > 1 {
		// IDs were handed out but their bound is unknown: skip far
		// ahead rather than risk reusing the ID of a lost record.
		s.log.Warn("ID bound missing or damaged; skipping IDs",
			"file", filepath.Join(s.dir, idsName), "damaged", state == idBoundDamaged,
			"from", s.nextID, "to", s.nextID+idJump)
		s.nextID += idJump
	}
	return nil
}

// loadSegment reads and verifies the segment base. The last segment is
// truncated after its last valid record and opened for appending.
func (s *Spool) loadSegment(base uint64, last bool) (*segment, error) {
	path := filepath.Join(s.dir, segName(base))
	buf, err := readFile(s.fs, segName(base))
	if err != nil {
		return nil, err
	}
	acked, err := s.loadAcks(base)
	if err != nil {
		return nil, err
	}
	sc := scanSegment(buf, base)
	if sc.damage != "" {
		action := "skipping the rest of the segment"
		if last {
			action = "truncating the segment there"
		}
		s.log.Warn("damaged spool segment: "+action,
			"file", path, "offset", sc.end, "size", len(buf), "reason", sc.damage)
	}
	seg := &segment{base: base, size: sc.end, recs: make([]rec, 0, len(sc.frames))}
	for _, f := range sc.frames {
		r := rec{id: f.id, at: f.at, off: uint32(f.off), sizeAcked: uint32(frameSize(len(f.data)))}
		if _, ok := acked[f.id]; ok {
			r.markAcked()
		} else {
			seg.live++
			seg.liveBytes += r.size()
			s.pendingRecs++
			s.pendingBytes += r.size()
			s.recovered = append(s.recovered, Record{ID: f.id, Data: f.data})
		}
		seg.recs = append(seg.recs, r)
	}
	switch {
	case last:
		if err := s.openActive(seg, sc.end < int64(len(buf))); err != nil {
			return nil, err
		}
	case seg.live > 0:
		if seg.rd, err = s.fs.Open(segName(base)); err != nil {
			return nil, err
		}
	}
	return seg, nil
}

// openActive opens the last segment for appending, first cutting off any
// damaged tail and rewriting a damaged header.
func (s *Spool) openActive(seg *segment, damaged bool) error {
	path := filepath.Join(s.dir, segName(seg.base))
	f, err := s.fs.Open(segName(seg.base))
	if err != nil {
		return err
	}
	if damaged || seg.size < segHeaderSize {
		err = f.Truncate(seg.size)
		if err == nil && seg.size < segHeaderSize {
			seg.size = segHeaderSize
			_, err = s.opts.Write(f, appendSegHeader(nil, seg.base), 0)
		}
		if err == nil {
			err = s.opts.Fsync(f)
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("repair %s: %w", path, err)
		}
	}
	id, err := fileID(f)
	if err != nil {
		f.Close()
		return err
	}
	seg.f, seg.fID, seg.fPath, seg.written = f, id, path, seg.size
	return nil
}

// loadAcks reads the acknowledged IDs of the segment base. A torn entry at
// the end is truncated; a damaged entry is logged and ignored.
func (s *Spool) loadAcks(base uint64) (map[uint64]struct{}, error) {
	path := filepath.Join(s.dir, ackName(base))
	buf, err := readFile(s.fs, ackName(base))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if n := len(buf) / ackEntrySize * ackEntrySize; n != len(buf) {
		s.log.Warn("torn ack entry: truncating", "file", path, "offset", n)
		if err := s.truncate(ackName(base), int64(n)); err != nil {
			return nil, fmt.Errorf("repair %s: %w", path, err)
		}
		buf = buf[:n]
	}
	acked := make(map[uint64]struct{}, len(buf)/ackEntrySize)
	for off := 0; off < len(buf); off += ackEntrySize {
		e := buf[off : off+ackEntrySize]
		if recordio.Checksum(e[:8]) != binary.LittleEndian.Uint32(e[8:]) {
			s.log.Warn("damaged ack entry ignored", "file", path, "offset", off)
			continue
		}
		acked[binary.LittleEndian.Uint64(e[:8])] = struct{}{}
	}
	return acked, nil
}

// truncate cuts the file name to size and fsyncs it.
func (s *Spool) truncate(name string, size int64) error {
	f, err := s.fs.Open(name)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = s.opts.Fsync(f)
	}
	return errors.Join(err, f.Close())
}
