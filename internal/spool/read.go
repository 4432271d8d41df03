package spool

import "fmt"

// Read appends the data of the unacknowledged record id to dst and returns
// the extended slice. It reads the record back from its segment (or from
// the buffer of frames not yet written), so a caller need not keep a copy
// of what it appended: the spool is then the only place a queued record
// takes memory. The checksum is verified, so bytes damaged on disk since
// the Append fail with ErrCorrupt rather than come back changed. Read
// works after the spool is found lost (ErrLost), through the files it
// still has open, until Close.
func (s *Spool) Read(dst []byte, id uint64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return dst, fmt.Errorf("spool: read: %w", ErrClosed)
	}
	seg, i := s.find(id)
	if seg == nil || seg.recs[i].acked() {
		return dst, fmt.Errorf("spool: read record %d: %w", id, ErrNotFound)
	}
	r := &seg.recs[i]
	off, n := int64(r.off), r.size()
	start := len(dst)
	if cap(dst)-start < int(n) {
		dst = append(dst[:cap(dst)], make([]byte, start+int(n)-cap(dst))...)
	}
	buf := dst[start : start+int(n)]
	switch f := seg.f; {
	case f != nil && off >= seg.written: // still buffered: pend holds only the active segment's frames
		copy(buf, s.pend[off-seg.written:])
	default:
		if f == nil {
			f = seg.rd
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			return dst[:start], fmt.Errorf("spool: read record %d: %w", id, err)
		}
	}
	fr, _, damage := decodeFrame(buf, id-1)
	if damage != "" || fr.id != id {
		return dst[:start], fmt.Errorf("spool: read record %d at offset %d of segment %d: %s: %w", id, off, seg.base, damage, ErrCorrupt)
	}
	m := copy(buf, fr.data)
	return dst[:start+m], nil
}
