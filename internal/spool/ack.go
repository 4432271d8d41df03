package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// Ack marks records as done: delivered, or dropped for good. Their bytes no
// longer count against Options.MaxBytes, and a segment whose records are all
// acknowledged is deleted (except the active one, which is deleted once a
// newer segment exists). IDs that are unknown or already acknowledged are
// ignored, so Ack may be repeated.
//
// Acknowledgements are written at once but not fsynced; Sync, the periodic
// syncer and Close fsync them. After a crash an acknowledgement that was not
// yet durable is lost and its record is returned by Pending again, to be
// delivered again under the same ID.
func (s *Spool) Ack(ids ...uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("spool: ack: %w", ErrClosed)
	}
	for _, id := range ids {
		seg, i := s.find(id)
		if seg == nil || seg.recs[i].acked() {
			continue
		}
		r := &seg.recs[i]
		r.markAcked()
		seg.live--
		seg.liveBytes -= r.size()
		s.pendingRecs--
		s.pendingBytes -= r.size()
		seg.ackBuf = appendAckEntry(seg.ackBuf, id)
	}
	if err := s.writeAllAcksLocked(); err != nil {
		return fmt.Errorf("spool: ack: %w", err)
	}
	return nil
}

// writeAllAcksLocked writes the ack entries collected in every segment,
// including those an earlier write could not (a full disk): they stay
// collected until written, so that the spool shrinks once space returns.
func (s *Spool) writeAllAcksLocked() error {
	var errs []error
	for _, seg := range slices.Clone(s.segs) {
		if len(seg.ackBuf) == 0 {
			continue
		}
		if seg.ackF == nil || (seg.live == 0 && seg != s.active()) {
			// About to create or delete files by name: never in a
			// directory that is no longer the spool's.
			if err := s.checkLocked(); err != nil {
				seg.ackBuf = seg.ackBuf[:0]
				errs = append(errs, err)
				continue
			}
		}
		if seg.live == 0 && seg != s.active() {
			seg.ackBuf = seg.ackBuf[:0]
			errs = append(errs, s.deleteSegmentLocked(seg))
			continue
		}
		errs = append(errs, s.writeAcksLocked(seg))
	}
	return errors.Join(errs...)
}

// retryAcks writes ack entries that an earlier write could not.
func (s *Spool) retryAcks() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.failed != nil {
		return nil
	}
	if err := s.writeAllAcksLocked(); err != nil {
		return fmt.Errorf("spool: ack: %w", err)
	}
	return nil
}

// writeAcksLocked appends the collected ack entries of seg to its ack file.
// What was not written stays collected, to be written by the next Ack or
// the background retry; the file stays aligned on entries, since the rest
// of a short write is what is written next.
func (s *Spool) writeAcksLocked(seg *segment) error {
	if seg.ackF == nil {
		f, err := s.fs.Open(ackName(seg.base))
		if errors.Is(err, fs.ErrNotExist) {
			f, err = s.fs.Create(ackName(seg.base))
			if err == nil {
				// The new file's name must survive a crash with the
				// entries written to it.
				err = s.fs.SyncDir()
				if err != nil {
					f.Close()
				}
			}
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", ackName(seg.base), err)
		}
		size, err := f.Size()
		if err != nil {
			f.Close()
			return fmt.Errorf("open %s: %w", ackName(seg.base), err)
		}
		seg.ackF, seg.ackSize = f, size
	}
	// Entries are written at the end of what the file holds. A crash after
	// a short write leaves a torn entry, which recovery truncates; the
	// records concerned are merely delivered again.
	n, err := s.opts.Write(seg.ackF, seg.ackBuf, seg.ackSize)
	if n > 0 {
		seg.ackDirty = true
	}
	seg.ackSize += int64(n)
	seg.ackBuf = append(seg.ackBuf[:0], seg.ackBuf[n:]...)
	if err != nil {
		return fmt.Errorf("write %s: %w", ackName(seg.base), err)
	}
	return nil
}

// deleteSegmentLocked removes seg, whose records are all acknowledged, from
// the index and the disk. The segment file goes first: an ack file left
// without its segment by a crash is removed by recovery, whereas a segment
// left without its ack file would bring its records back.
func (s *Spool) deleteSegmentLocked(seg *segment) error {
	if i := slices.Index(s.segs, seg); i >= 0 {
		s.segs = slices.Delete(s.segs, i, i+1)
	}
	if seg.ackF != nil {
		seg.ackF.Close() // a sync round holding it gets os.ErrClosed
		seg.ackF = nil
		seg.ackDirty = false
	}
	if seg.f != nil {
		seg.f.Close()
		seg.f = nil
	}
	if seg.rd != nil {
		seg.rd.Close()
		seg.rd = nil
	}
	// Durable at the next Sync, which syncs the directory: until then a
	// crash may bring the segment back, with acknowledgements that were
	// not durable either.
	s.dirDirty = true
	if err := removeIfExists(s.fs, segName(seg.base)); err != nil {
		return fmt.Errorf("delete segment: %w", err)
	}
	if err := removeIfExists(s.fs, ackName(seg.base)); err != nil {
		return fmt.Errorf("delete segment: %w", err)
	}
	return nil
}
