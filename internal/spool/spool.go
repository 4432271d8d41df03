package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/analytics-client/analytics/internal/logfs"
)

// SyncPolicy says when appended records are fsynced.
type SyncPolicy int

const (
	// SyncEach makes Append return only after the record is fsynced.
	// Concurrent Appends share fsyncs (group commit). It is the default.
	SyncEach SyncPolicy = iota
	// SyncPeriodic fsyncs every Options.SyncInterval and on Close; a
	// crash may lose the records appended since the last fsync.
	SyncPeriodic
)

// String returns "each" or "periodic".
func (p SyncPolicy) String() string {
	switch p {
	case SyncEach:
		return "each"
	case SyncPeriodic:
		return "periodic"
	}
	return fmt.Sprintf("SyncPolicy(%d)", int(p))
}

// Defaults for zero Options fields.
const (
	DefaultMaxBytes      = 64 << 20
	DefaultSyncInterval  = time.Second
	DefaultSegmentSize   = 4 << 20
	DefaultCheckInterval = time.Second
	// MaxSegmentSize bounds Options.SegmentSize, so that a record's
	// offset in its segment fits the index's 32 bits.
	MaxSegmentSize = 1 << 30
)

// Options configure a Spool. The zero value is valid: every zero field
// means its documented default.
type Options struct {
	// MaxBytes bounds the unacknowledged bytes on disk, counted as record
	// data plus a 24-byte frame header each. Default DefaultMaxBytes.
	MaxBytes int64
	// Sync is the fsync policy. Default SyncEach.
	Sync SyncPolicy
	// SyncInterval is the fsync period of SyncPeriodic. Default
	// DefaultSyncInterval.
	SyncInterval time.Duration
	// SegmentSize is the size at which a new segment is started. A record
	// larger than it gets a segment of its own. Default
	// DefaultSegmentSize; at most MaxSegmentSize.
	SegmentSize int64
	// Logger receives recovery warnings and background sync errors. Nil
	// discards them.
	Logger *slog.Logger
	// Fsync makes a file's written data durable. Every file fsync of the
	// spool (segments, ack files, the ids file) goes through it; the
	// directory is synced by FS.SyncDir. Nil means logfs.File.Sync; tests
	// wrap that to observe each fsync.
	Fsync func(logfs.File) error
	// Write writes b to f at off. Every data write of the spool goes
	// through it. Nil means logfs.File.WriteAt; tests wrap it to fail as
	// a full or read-only disk does.
	Write func(f logfs.File, b []byte, off int64) (int, error)
	// FS holds the spool's files. Nil means the directory given to Open,
	// whose files are opened with the spool's checks (no symbolic links,
	// regular files only). Tests give one that loses power
	// (internal/logfs/powercut); the directory lock and the checks that
	// notice a lost spool stay on the directory given to Open.
	FS logfs.FS
	// CheckInterval is how often the spool checks, in the background,
	// that its directory and files are still the ones it opened; it then
	// notices their loss even while nothing is appended. Default
	// DefaultCheckInterval.
	CheckInterval time.Duration
	// OnLost, when set, is called once from the background checker when it
	// finds the spool lost (the error wraps ErrLost). It must not call
	// Close: Close waits for the checker.
	OnLost func(error)
}

// writeFile is Options.Write's default.
func writeFile(f logfs.File, b []byte, off int64) (int, error) { return f.WriteAt(b, off) }

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.MaxBytes < 0:
		return o, fmt.Errorf("spool: options: negative MaxBytes %d", o.MaxBytes)
	case o.SegmentSize < 0 || o.SegmentSize > MaxSegmentSize:
		return o, fmt.Errorf("spool: options: SegmentSize %d not between 0 and %d", o.SegmentSize, MaxSegmentSize)
	case o.SyncInterval < 0:
		return o, fmt.Errorf("spool: options: negative SyncInterval %v", o.SyncInterval)
	case o.Sync != SyncEach && o.Sync != SyncPeriodic:
		return o, fmt.Errorf("spool: options: unknown %v", o.Sync)
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentSize == 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Fsync == nil {
		o.Fsync = logfs.File.Sync
	}
	if o.Write == nil {
		o.Write = writeFile
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = DefaultCheckInterval
	}
	return o, nil
}

// Record is one queued record.
type Record struct {
	ID   uint64
	Data []byte
}

// Stats describe a Spool's state.
type Stats struct {
	Records  int       // unacknowledged records
	Bytes    int64     // their size on disk, as counted against MaxBytes
	Segments int       // segment files
	Oldest   time.Time // append time of the oldest unacknowledged record; zero if none
	Appends  uint64    // records appended since Open
	Syncs    uint64    // fsyncs of segment data since Open
	// Rotations counts the segments started since Open; each fsyncs the
	// segment it ends, which counts in Syncs.
	Rotations uint64
}

// Spool is a durable FIFO of records in one directory. It is safe for
// concurrent use.
type Spool struct {
	dir  string
	fs   logfs.FS // the files; diskFS(dir) unless Options.FS is set
	opts Options
	log  *slog.Logger
	now  func() time.Time
	lock *os.File
	// lockID is the identity of the lock file as opened: a different file
	// (or none) at its path means the directory was removed or replaced.
	lockID os.FileInfo

	mu     sync.Mutex
	synced *sync.Cond // on mu; broadcast when an fsync round ends

	segs         []*segment // in ID order; the last one is active
	nextID       uint64
	idBound      uint64 // durable: every ID handed out is below it
	pendingRecs  int
	pendingBytes int64
	recovered    []Record // unacknowledged records found by Open
	pend         []byte   // frames not yet written to the active segment
	writeErr     error    // the last flush of pend failed with it
	lostSeen     bool     // the timer has reported ErrLost
	dirDirty     bool     // segments were deleted since the directory's last sync

	writeSeq  uint64 // count of records written
	syncedSeq uint64 // records known durable
	syncing   bool   // an fsync round runs without mu
	failed    error  // sticky: an fsync or undoable write failed
	closed    bool
	appends   uint64
	syncs     uint64
	rotations uint64

	stop      chan struct{} // closed by Close to stop the syncer
	done      chan struct{} // closed by the syncer when it exits
	closeDone chan struct{} // closed when Close has finished
	closeErr  error
}

// segment is the in-memory index of one segment file.
type segment struct {
	base      uint64
	f         logfs.File  // write handle, only on the active segment
	rd        logfs.File  // read handle of an older segment with live records
	fID       os.FileInfo // identity of f, to notice the file's removal; nil if not on disk
	fPath     string      // where f is on disk, for that check
	ackF      logfs.File  // opened on the first acknowledgement
	ackSize   int64       // bytes in ackF: where the next entries are written
	ackDirty  bool        // ackF has writes not yet fsynced
	ackBuf    []byte      // entries being collected by Ack
	size      int64       // including frames still buffered in Spool.pend
	written   int64       // bytes in the file
	recs      []rec
	first     int // no unacknowledged record before this index
	live      int
	liveBytes int64
}

// rec is the index entry of one record: 24 bytes, since the spool keeps
// one per unacknowledged record.
type rec struct {
	id  uint64
	at  int64
	off uint32 // of the frame in its segment (below MaxSegmentSize+MaxRecordSize)
	// sizeAcked is the frame's size (at most MaxRecordSize plus its
	// header) with ackedBit set once the record is acknowledged.
	sizeAcked uint32
}

const ackedBit = 1 << 31

func (r *rec) acked() bool { return r.sizeAcked&ackedBit != 0 }
func (r *rec) size() int64 { return int64(r.sizeAcked &^ ackedBit) }
func (r *rec) markAcked()  { r.sizeAcked |= ackedBit }

// Open opens the spool in dir, creating dir if needed, and recovers its
// records (see the package documentation for the rules). It takes an
// exclusive lock on dir: while the Spool is open, another Open of dir fails
// with ErrLocked.
func Open(dir string, opts Options) (*Spool, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: open: %w", err)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	lockID, err := lock.Stat()
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool: lock: %w", err)
	}
	s := &Spool{
		dir:       dir,
		fs:        opts.FS,
		opts:      opts,
		log:       opts.Logger.With("spool", dir),
		now:       time.Now,
		lock:      lock,
		lockID:    lockID,
		closeDone: make(chan struct{}),
	}
	if s.fs == nil {
		s.fs = diskFS(dir)
	}
	s.synced = sync.NewCond(&s.mu)
	if err := s.recover(); err != nil {
		s.closeFiles()
		return nil, err
	}
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go s.background()
	return s, nil
}

// Pending returns the unacknowledged records found by Open, in append
// order, minus those acknowledged since. It hands them over: the Spool keeps
// no reference, and later calls return nil.
func (s *Spool) Pending() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs := s.recovered
	s.recovered = nil
	return slices.DeleteFunc(recs, func(r Record) bool {
		seg, i := s.find(r.ID)
		return seg == nil || seg.recs[i].acked()
	})
}

// Stats returns the spool's current state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Records:   s.pendingRecs,
		Bytes:     s.pendingBytes,
		Segments:  len(s.segs),
		Appends:   s.appends,
		Syncs:     s.syncs,
		Rotations: s.rotations,
	}
	for _, seg := range s.segs {
		for seg.first < len(seg.recs) && seg.recs[seg.first].acked() {
			seg.first++
		}
		if seg.first < len(seg.recs) {
			st.Oldest = time.Unix(0, seg.recs[seg.first].at)
			break
		}
	}
	return st
}

// find returns the segment holding the record id and its index there, or a
// nil segment if there is no such record.
func (s *Spool) find(id uint64) (*segment, int) {
	n := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].base > id })
	if n == 0 {
		return nil, 0
	}
	seg := s.segs[n-1]
	i, ok := slices.BinarySearchFunc(seg.recs, id, func(r rec, id uint64) int {
		switch {
		case r.id < id:
			return -1
		case r.id > id:
			return 1
		}
		return 0
	})
	if !ok {
		return nil, 0
	}
	return seg, i
}

// active returns the segment new records are appended to.
func (s *Spool) active() *segment { return s.segs[len(s.segs)-1] }

// Close fsyncs what is not yet durable, closes the files and releases the
// directory lock. It waits for the background syncer to exit. Calls after
// the first return the first call's result.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.closeDone
		return s.closeErr
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done

	s.mu.Lock()
	for s.syncing {
		s.synced.Wait()
	}
	err := s.finalSyncLocked()
	s.synced.Broadcast()
	s.closeFiles()
	s.closeErr = err
	s.mu.Unlock()
	close(s.closeDone)
	return err
}

// finalSyncLocked fsyncs everything and, if that worked, lowers the ID bound
// to the next ID so that IDs continue without a gap after a clean Close.
func (s *Spool) finalSyncLocked() error {
	if s.failed != nil {
		return fmt.Errorf("spool: close: %w", s.failed)
	}
	if err := s.flushLocked(); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	if err := s.opts.Fsync(s.active().f); err != nil {
		s.failed = fmt.Errorf("fsync %s: %w", segName(s.active().base), err)
		return fmt.Errorf("spool: close: %w", s.failed)
	}
	if err := s.verifyLocked(); err != nil {
		return fmt.Errorf("spool: close: %w", err)
	}
	s.syncedSeq = s.writeSeq
	errs := []error{s.writeAllAcksLocked()}
	for _, seg := range s.segs {
		if seg.ackDirty {
			errs = append(errs, s.opts.Fsync(seg.ackF))
		}
	}
	if s.dirDirty {
		errs = append(errs, s.fs.SyncDir())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("spool: close: sync acks: %w", err)
	}
	if s.nextID < s.idBound {
		if err := s.writeIDBound(s.nextID); err != nil {
			return fmt.Errorf("spool: close: %w", err)
		}
		s.idBound = s.nextID
	}
	return nil
}

// closeFiles closes every open file, the lock file last (which releases
// the lock).
func (s *Spool) closeFiles() {
	for _, seg := range s.segs {
		if seg.f != nil {
			seg.f.Close()
			seg.f = nil
		}
		if seg.rd != nil {
			seg.rd.Close()
			seg.rd = nil
		}
		if seg.ackF != nil {
			seg.ackF.Close()
			seg.ackF = nil
		}
	}
	s.lock.Close()
}

// background is the spool's goroutine: the SyncPeriodic syncer, and the
// loss check every CheckInterval under either policy.
func (s *Spool) background() {
	defer close(s.done)
	var syncs <-chan time.Time
	if s.opts.Sync == SyncPeriodic {
		t := time.NewTicker(s.opts.SyncInterval)
		defer t.Stop()
		syncs = t.C
	}
	checks := time.NewTicker(s.opts.CheckInterval)
	defer checks.Stop()
	var last error // one log line per distinct failure, not one per tick
	for {
		var err error
		select {
		case <-s.stop:
			return
		case <-syncs:
			err = s.Sync()
		case <-checks.C:
			err = errors.Join(s.check(), s.retryAcks())
		}
		if err != nil && !errors.Is(err, ErrClosed) && (last == nil || err.Error() != last.Error()) {
			s.log.Error("spool background sync or check failed", "err", err)
		}
		last = err
		if errors.Is(err, ErrLost) {
			s.reportLost(err)
		}
	}
}

// check runs the loss check on its own.
func (s *Spool) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	return s.checkLocked()
}

// reportLost calls OnLost the first time the spool is found lost.
func (s *Spool) reportLost(err error) {
	s.mu.Lock()
	first := !s.lostSeen
	s.lostSeen = true
	s.mu.Unlock()
	if first && s.opts.OnLost != nil {
		s.opts.OnLost(err)
	}
}
