package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/logfs"
)

// Append adds a copy of data as a new record and returns its ID, which is
// greater than every ID returned before, also by earlier Spools on the same
// directory. With SyncEach the record is on stable storage when Append
// returns. It fails with ErrTooLarge for data over MaxRecordSize, ErrFull
// when the record would take the unacknowledged bytes past Options.MaxBytes,
// and ErrClosed after Close. If an fsync fails, Append returns the error;
// the Spool then fails every later Append and Sync, since a failed fsync
// cannot be retried safely. A record whose Append returns an error is not
// accepted: it is cut from its segment (or, past a rotation, acknowledged),
// so that an Open of the directory does not find it.
func (s *Spool) Append(data []byte) (uint64, error) {
	if len(data) > MaxRecordSize {
		return 0, fmt.Errorf("spool: append %d bytes: %w", len(data), ErrTooLarge)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.writeLocked(data)
	if err != nil {
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	if s.opts.Sync == SyncPeriodic {
		// Buffered: no system call here (see flushLocked); the loss
		// check runs on the spool's timer.
		return id, nil
	}
	seg := s.active()
	off := seg.size - frameSize(len(data))
	err = s.syncLocked(s.writeSeq, false)
	if err == nil {
		// Checked after the fsync: a record synced into a file that is
		// no longer the spool's is not on disk in any sense that matters.
		err = s.checkLocked()
	}
	if err != nil {
		s.withdrawLocked(seg, off, id)
		return 0, fmt.Errorf("spool: append: %w", err)
	}
	return id, nil
}

// withdrawLocked takes back the record id, written at off in seg, whose
// Append fails after the write: the spool has failed (sticky), so every
// record written after it is refused too, and cutting the file there
// removes them all. A segment closed by a rotation meanwhile cannot be
// cut; the record is acknowledged instead, as far as the ack file can be
// written.
func (s *Spool) withdrawLocked(seg *segment, off int64, id uint64) {
	if seg.f != nil && off < seg.written {
		if err := seg.f.Truncate(off); err == nil {
			s.opts.Fsync(seg.f) // best effort: the spool has failed already
			seg.size, seg.written = off, off
		}
	}
	if found, i := s.find(id); found != nil && !found.recs[i].acked() {
		r := &found.recs[i]
		r.markAcked()
		found.live--
		found.liveBytes -= r.size()
		s.pendingRecs--
		s.pendingBytes -= r.size()
		if seg.f == nil {
			found.ackBuf = appendAckEntry(found.ackBuf, id)
			s.writeAllAcksLocked()
		}
	}
}

// AppendAll appends each of data as Append does, in order, with one fsync
// for all of them under SyncEach, and returns their IDs. If one fails,
// the IDs of those before it are returned with the error, and they may or
// may not be durable.
func (s *Spool) AppendAll(data [][]byte) ([]uint64, error) {
	ids := make([]uint64, 0, len(data))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range data {
		if len(d) > MaxRecordSize {
			return ids, fmt.Errorf("spool: append %d bytes: %w", len(d), ErrTooLarge)
		}
		id, err := s.writeLocked(d)
		if err != nil {
			return ids, fmt.Errorf("spool: append: %w", err)
		}
		ids = append(ids, id)
	}
	if err := s.syncLocked(s.writeSeq, false); err != nil {
		return ids, fmt.Errorf("spool: append: %w", err)
	}
	if err := s.checkLocked(); err != nil {
		return ids, fmt.Errorf("spool: append: %w", err)
	}
	return ids, nil
}

// flushSize is how many buffered bytes make a SyncPeriodic Append write
// them at once rather than wait for the next sync.
const flushSize = 64 << 10

// writeLocked writes one record to the active segment, rotating first if
// the segment is full. Under SyncPeriodic the frame is buffered (see
// flushLocked) unless flushSize bytes are waiting; under SyncEach it is
// written at once. A record whose write fails is not added: the error is
// returned and the spool stays usable (a full disk is not sticky).
func (s *Spool) writeLocked(data []byte) (uint64, error) {
	switch {
	case s.closed:
		return 0, ErrClosed
	case s.failed != nil:
		return 0, s.failed
	case s.writeErr != nil:
		// Earlier buffered records could not be written: refuse new ones
		// until they can, so that the buffer does not grow.
		if err := s.flushLocked(); err != nil {
			return 0, err
		}
	}
	size := frameSize(len(data))
	if s.pendingBytes+size > s.opts.MaxBytes {
		return 0, fmt.Errorf("%w: %d of %d bytes pending", ErrFull, s.pendingBytes, s.opts.MaxBytes)
	}
	if seg := s.active(); seg.size+size > s.opts.SegmentSize && len(seg.recs) > 0 {
		if err := s.rotateLocked(); err != nil {
			return 0, err
		}
	}
	if s.nextID >= s.idBound {
		if err := s.writeIDBound(s.nextID + idBlock); err != nil {
			return 0, err
		}
		s.idBound = s.nextID + idBlock
	}
	seg := s.active()
	id, at := s.nextID, s.now().UnixNano()
	start := len(s.pend)
	s.pend = appendFrame(s.pend, id, at, data)
	if s.opts.Sync == SyncEach || len(s.pend) >= flushSize {
		if err := s.flushLocked(); err != nil {
			s.pend = s.pend[:start] // this record is refused; earlier ones stay buffered
			return 0, err
		}
	}
	s.nextID++
	seg.size += size
	seg.recs = append(seg.recs, rec{id: id, at: at, off: uint32(seg.size - size), sizeAcked: uint32(size)})
	seg.live++
	seg.liveBytes += size
	s.pendingRecs++
	s.pendingBytes += size
	s.writeSeq++
	s.appends++
	return id, nil
}

// flushLocked writes the buffered frames to the active segment. A failed
// write is undone (a partial frame must not stay in front of later
// records) and remembered in writeErr: the frames stay buffered, and the
// next flush (an Append, the periodic sync, Close) tries again, so a disk
// that was full takes them once space returns.
func (s *Spool) flushLocked() error {
	if len(s.pend) == 0 {
		s.writeErr = nil
		return nil
	}
	seg := s.active()
	if _, err := s.opts.Write(seg.f, s.pend, seg.written); err != nil {
		if terr := seg.f.Truncate(seg.written); terr != nil {
			s.failed = fmt.Errorf("undo failed write to %s: %w", segName(seg.base), terr)
			return s.failed
		}
		s.writeErr = fmt.Errorf("write %s: %w", segName(seg.base), err)
		return s.writeErr
	}
	seg.written += int64(len(s.pend))
	s.pend = s.pend[:0]
	if cap(s.pend) > 2*flushSize {
		s.pend = nil // do not pin a large record's buffer
	}
	s.writeErr = nil
	return nil
}

// rotateLocked starts a new active segment. The old one is fsynced before
// the new one is created, so every record written so far is durable
// afterwards, and a crash never leaves an unsynced (possibly torn) tail in
// a segment that is not the last.
func (s *Spool) rotateLocked() error {
	if err := s.flushLocked(); err != nil {
		return err
	}
	old := s.active()
	if err := s.opts.Fsync(old.f); err != nil {
		s.failed = fmt.Errorf("fsync %s: %w", segName(old.base), err)
		return s.failed
	}
	s.syncs++
	s.syncedSeq = s.writeSeq
	s.synced.Broadcast()
	next, err := s.createSegment(s.nextID)
	if err != nil {
		return err
	}
	s.rotations++
	// The write handle stays open for reading (Read) while the segment
	// has live records; deleteSegmentLocked closes it.
	old.rd, old.f = old.f, nil
	s.segs = append(s.segs, next)
	if old.live == 0 {
		return s.deleteSegmentLocked(old)
	}
	return nil
}

// createSegment creates and fsyncs the segment file base, with only its
// header, and fsyncs the directory so the file survives a crash.
func (s *Spool) createSegment(base uint64) (*segment, error) {
	name := segName(base)
	f, err := s.fs.Create(name)
	if err != nil {
		return nil, fmt.Errorf("create segment %s: %w", name, err)
	}
	hdr := appendSegHeader(nil, base)
	_, err = s.opts.Write(f, hdr, 0)
	if err == nil {
		err = s.opts.Fsync(f)
	}
	if err == nil {
		err = s.fs.SyncDir()
	}
	var id os.FileInfo
	if err == nil {
		id, err = fileID(f)
	}
	if err != nil {
		f.Close()
		s.fs.Remove(name)
		return nil, fmt.Errorf("create segment %s: %w", name, err)
	}
	return &segment{base: base, f: f, fID: id, fPath: filepath.Join(s.dir, name), size: int64(len(hdr)), written: int64(len(hdr))}, nil
}

// Sync makes every record appended so far, and every acknowledgement, durable.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("spool: sync: %w", ErrClosed)
	}
	if err := s.syncLocked(s.writeSeq, true); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	if err := s.checkLocked(); err != nil {
		return fmt.Errorf("spool: sync: %w", err)
	}
	return nil
}

// syncLocked returns once the first seq records written are durable, and
// with acks also every acknowledgement written so far. It is the group
// commit: if an fsync round is running, it waits for it, since that round
// may cover seq; otherwise it runs one itself, without holding mu, for every
// record written until then. s.mu must be held; it is released while waiting
// and during the fsync.
func (s *Spool) syncLocked(seq uint64, acks bool) error {
	for {
		if s.failed != nil {
			return s.failed
		}
		if s.syncedSeq >= seq && (!acks || !s.acksDirty()) {
			return nil
		}
		if !s.syncing {
			break
		}
		s.synced.Wait()
	}
	if err := s.flushLocked(); err != nil {
		return err
	}
	s.syncing = true
	target := s.writeSeq
	var segF namedFile
	if target > s.syncedSeq {
		segF = namedFile{base: s.active().base, f: s.active().f}
	}
	var ackFs []namedFile
	syncDir := false
	if acks {
		for _, seg := range s.segs {
			if seg.ackDirty {
				ackFs = append(ackFs, namedFile{base: seg.base, ack: true, f: seg.ackF})
				seg.ackDirty = false
			}
		}
		syncDir, s.dirDirty = s.dirDirty, false
	}
	s.mu.Unlock()
	segErr, ackErr := s.syncFiles(segF, ackFs)
	if syncDir {
		// The removals of deleted segments: their acknowledgements.
		if err := s.fs.SyncDir(); err != nil {
			ackErr = errors.Join(ackErr, fmt.Errorf("sync directory: %w", err))
		}
	}
	s.mu.Lock()
	s.syncing = false
	s.synced.Broadcast()

	if segF.f != nil {
		s.syncs++
	}
	if segErr != nil && !(errors.Is(segErr, os.ErrClosed) && s.syncedSeq >= target) {
		s.failed = segErr
		return s.failed
	}
	if ackErr != nil {
		s.failed = ackErr
		return s.failed
	}
	s.syncedSeq = max(s.syncedSeq, target)
	return nil
}

// namedFile is an open segment or ack file with what names it in error
// messages (the name is made only then: a sync allocates nothing for it).
type namedFile struct {
	base uint64
	ack  bool
	f    logfs.File
}

func (n namedFile) name() string {
	if n.ack {
		return ackName(n.base)
	}
	return segName(n.base)
}

// syncFiles fsyncs a segment file (if its f is not nil) and ack files. An
// ack file closed meanwhile belonged to a deleted segment and needs no
// fsync.
func (s *Spool) syncFiles(segF namedFile, ackFs []namedFile) (segErr, ackErr error) {
	if segF.f != nil {
		if err := s.opts.Fsync(segF.f); err != nil {
			segErr = fmt.Errorf("fsync %s: %w", segF.name(), err)
		}
	}
	var errs []error
	for _, a := range ackFs {
		if err := s.opts.Fsync(a.f); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, fmt.Errorf("fsync %s: %w", a.name(), err))
		}
	}
	return segErr, errors.Join(errs...)
}

// acksDirty reports whether an ack file has writes not yet fsynced, or a
// segment's removal is not yet synced in the directory.
func (s *Spool) acksDirty() bool {
	if s.dirDirty {
		return true
	}
	for _, seg := range s.segs {
		if seg.ackDirty {
			return true
		}
	}
	return false
}
