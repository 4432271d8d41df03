package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/wal"
)

// Logged is the bbolt store behind a write-ahead log (internal/store/wal):
// an Append is answered once its group is in the log, after one sync of an
// overwritten block, instead of after bbolt's commit (which syncs twice and
// writes several pages); a goroutine then applies the logged groups to
// the bbolt file, many per bbolt commit, and trims the log once that commit
// is synced. Create it with OpenLogged.
//
// # What reads see
//
// Every read sees each Append whole and in order, as if the entries were in
// the file already:
//
//   - Append decides idempotency keys and the size bound against the file
//     and the logged groups not applied yet (kept in memory), read through,
//     without waiting for the applier.
//   - Count and UsedBytes read through the same way: the file's figures
//     plus those of the groups it does not hold yet.
//   - Scan, DeleteThrough and Check first wait until every group logged
//     before the call is applied (sequence numbers are assigned when an
//     entry reaches the file), then read the file.
//
// # Crashes
//
// OpenLogged replays the log before it serves anything: the groups after
// the last one the file holds (the file records the sequence number of the
// last group it applied, in the commit that applies it, so a replay is
// idempotent). Close applies everything logged before it returns; Open and
// OpenReadOnly apply a log left behind, so `analyticsd check`, backups and
// migrations see every acknowledged entry.
type Logged struct {
	db        *Store
	wal       *wal.Log
	commits   *store.Committer[*logTx]
	log       *slog.Logger
	maxApply  int
	maxBehind int64
	delay     time.Duration
	// beforeApply, when set, runs before each bbolt commit of the applier
	// and fails it: the power-cut tests cut the power there.
	beforeApply func() error
	// synced reports whether the last group logGroup ran was written and
	// synced (one that logged nothing was not); only the committer's
	// goroutine uses it.
	synced bool
	// trimFailed is set while trimming the log fails (only the applier's
	// goroutine uses it), so that only the first failure is logged.
	trimFailed bool

	mu       sync.Mutex
	tail     []*batch // logged, not yet applied, in LSN order
	behind   int64    // the tail's size (batch.size)
	keys     map[string]pendingKey
	logged   uint64 // LSN of the last group logged
	applied  uint64 // LSN of the last group in the file
	applyErr error  // why the last apply failed; nil after a success
	caught   chan struct{}

	wake chan struct{} // capacity 1: "the tail is not empty"
	urge chan struct{} // capacity 1: "apply now: a reader waits, or the tail is long"
	stop chan struct{}
	done chan struct{}

	closeMu sync.RWMutex
	closed  bool
}

// pendingKey is an idempotency key logged but not applied yet.
type pendingKey struct {
	sum, reply []byte
	at         int64
	lsn        uint64
}

var (
	_ store.Store       = (*Logged)(nil)
	_ store.Newest      = (*Logged)(nil)
	_ store.Quarantiner = (*Logged)(nil)
	_ store.Backlogger  = (*Logged)(nil)
)

// LogOptions configure the write-ahead log of OpenLogged. The zero value is
// the service's.
type LogOptions struct {
	// FS is where the segments are kept; nil means the directory LogDir
	// of the store file.
	FS logfs.FS
	// SegmentSize is the size of each segment; zero means
	// wal.DefaultSegmentSize.
	SegmentSize int64
	// ApplyBatch is the most logged groups one bbolt commit applies; zero
	// means DefaultApplyBatch.
	ApplyBatch int
	// ApplyDelay is how long the applier lets groups gather before it
	// commits them to the file, unless a read waits for them or
	// ApplyBatch of them are there; zero means DefaultApplyDelay. Fewer
	// bbolt commits leave the disk to the log's syncs.
	ApplyDelay time.Duration
	// MaxBehind bounds how far the file may fall behind the log: the
	// bytes of the logged groups not applied yet, which the store holds
	// in memory (and the log on disk). Once they reach it, an Append waits
	// for the applier, or fails with ErrBehind when applying fails; zero
	// means DefaultMaxBehind.
	MaxBehind int64
}

// DefaultMaxBehind is LogOptions.MaxBehind when it is zero.
const DefaultMaxBehind = 64 << 20

// ErrBehind is in the chain of an Append error when the store file has
// fallen LogOptions.MaxBehind behind its log because applying the log to it
// fails (the applier's error is in the chain too): the store takes nothing
// more until an attempt succeeds. Each refused Append makes one attempt.
var ErrBehind = errors.New("the store file is too far behind its log")

// DefaultApplyBatch is LogOptions.ApplyBatch when it is zero.
const DefaultApplyBatch = 512

// GatherWait bounds how long a group commit of the log waits for the
// callers of the previous one (store.NewCommitterGather, which waits at most
// as long as the previous commit took): a slow disk's sync.
const GatherWait = 2 * time.Millisecond

// DefaultApplyDelay is LogOptions.ApplyDelay when it is zero.
const DefaultApplyDelay = 20 * time.Millisecond

// LogDir is the directory of the write-ahead log of the store file path.
func LogDir(path string) string { return path + ".wal" }

// metaApplied is the meta key of the LSN of the last logged group applied.
var metaApplied = []byte("wal-applied")

// OpenLogged opens the store file at path (as Open does) behind its
// write-ahead log, replays what the log holds beyond the file, and starts
// the applier; Close stops it.
func OpenLogged(path string, opts store.Options, lopts LogOptions) (*Logged, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	opts = opts.WithDefaults()
	onCommit := opts.OnCommit
	opts.OnCommit = nil // the file's own committer is not used
	db, err := open(path, opts, false, lockTimeout)
	if err != nil {
		return nil, err
	}
	s := &Logged{db: db, log: opts.Logger, maxApply: lopts.ApplyBatch, maxBehind: lopts.MaxBehind, delay: lopts.ApplyDelay, keys: map[string]pendingKey{},
		caught: make(chan struct{}), wake: make(chan struct{}, 1), urge: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	if s.maxApply <= 0 {
		s.maxApply = DefaultApplyBatch
	}
	if s.delay <= 0 {
		s.delay = DefaultApplyDelay
	}
	if s.maxBehind <= 0 {
		s.maxBehind = DefaultMaxBehind
	}
	if err := s.openLog(path, lopts, opts.Logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.commits = store.NewCommitterGather(s.logGroup, func() bool { return s.synced }, onCommit, GatherWait)
	go s.runApplier()
	return s, nil
}

// openLog opens the log and applies what it holds beyond the file.
func (s *Logged) openLog(path string, lopts LogOptions, log *slog.Logger) error {
	fsys := lopts.FS
	if fsys == nil {
		dir := logfs.Dir(LogDir(path))
		if err := dir.MkdirAll(); err != nil {
			return fmt.Errorf("store: open log %s: %w", dir, err)
		}
		fsys = dir
	}
	after, err := s.appliedLSN()
	if err != nil {
		return err
	}
	var pending []*batch
	w, err := wal.Open(fsys, wal.Options{SegmentSize: lopts.SegmentSize, Logger: log}, after, func(lsn uint64, p []byte) error {
		b, err := decodeBatch(lsn, p)
		if err != nil {
			return &DamagedError{Path: LogDir(path), Problem: err.Error()}
		}
		pending = append(pending, b)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: open log of %s: %w", path, err)
	}
	s.wal = w
	for len(pending) > 0 {
		n := min(len(pending), s.maxApply)
		if _, err := s.db.update(func(tx *bolt.Tx) (int, error) { return 0, s.applyIn(tx, pending[:n]) }); err != nil {
			_ = w.Close()
			return fmt.Errorf("store: replay log of %s: %w", path, err)
		}
		pending = pending[n:]
	}
	if last := w.Last(); last > after {
		log.Info("store replayed its log", "path", path, "groups", last-after)
	}
	s.logged, s.applied = w.Last(), w.Last()
	if err := w.Trim(w.Last()); err != nil {
		_ = w.Close()
		return err
	}
	return nil
}

// appliedLSN reads the LSN of the last group the file holds.
func (s *Logged) appliedLSN() (uint64, error) {
	var lsn uint64
	err := s.db.view(context.Background(), func(tx *bolt.Tx) error {
		lsn = appliedIn(tx)
		return nil
	})
	return lsn, err
}

func appliedIn(tx *bolt.Tx) uint64 {
	if v := tx.Bucket(bucketMeta).Get(metaApplied); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// applyLeftLog applies a log left next to the store file path, if there is
// one, so that a plain Open sees every acknowledged entry.
func applyLeftLog(path string, opts store.Options) error {
	if _, err := os.Stat(LogDir(path)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil // nothing was ever applied: the log is empty or its file is gone
	}
	// Only a log holding groups the file lacks is applied: after a clean
	// stop the file has them all, and the file is not opened for writing
	// (check and migrate write nothing, and work on a read-only mount).
	newest, err := wal.Newest(LogDir(path))
	if err != nil {
		return fmt.Errorf("store: read the log of %s: %w", path, err)
	}
	if newest == 0 {
		return nil
	}
	if applied, err := appliedInFile(path); err == nil && newest <= applied {
		return nil
	}
	l, err := OpenLogged(path, opts, LogOptions{})
	if err != nil {
		return err
	}
	return l.Close()
}

// appliedInFile reads the LSN of the last logged group the file at path
// holds, opening it read-only.
func appliedInFile(path string) (uint64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var lsn uint64
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) != nil {
			lsn = appliedIn(tx)
		}
		return nil
	})
	return lsn, err
}

// ApplyLog applies the write-ahead log left next to the store file path (by
// a crash), if there is one, as Open does; the service must be stopped.
func ApplyLog(path string) error { return applyLeftLog(path, store.Options{}) }

// DropLog removes the write-ahead log of the store file path, for a restore
// that replaces the file: the log's groups belong to the file it replaces,
// and replaying them onto the restored one would add entries the backup
// does not hold (or find a gap and refuse to open). Apply it first
// (ApplyLog), so that the file is whole should the replacement fail; call
// it with the service stopped and the file locked.
func DropLog(path string) error {
	if err := os.RemoveAll(LogDir(path)); err != nil {
		return fmt.Errorf("store: drop the log of %s: %w", path, err)
	}
	return nil
}

// Path returns the file the store was opened on.
func (s *Logged) Path() string { return s.db.path }

// Close stops taking appends, applies everything logged to the file, and
// closes the log and the file. It is idempotent.
func (s *Logged) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.commits.Close()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	var err error
	if len(s.tail) > 0 {
		err = fmt.Errorf("store: close %s: %d logged groups not applied (the log keeps them for the next open): %w", s.db.path, len(s.tail), s.applyErr)
	}
	s.mu.Unlock()
	return errors.Join(err, s.wal.Close(), s.db.Close())
}

// acquire takes the shared lock for one call; release it with
// s.closeMu.RUnlock. It fails once the store is closed.
func (s *Logged) acquire() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// catchUp waits until every group logged before the call is in the file.
// It hurries the applier and fails with the apply's error when an attempt
// made while it waits fails.
func (s *Logged) catchUp(ctx context.Context) error {
	s.mu.Lock()
	target := s.logged
	s.mu.Unlock()
	return s.awaitApplier(ctx, func() bool { return s.applied >= target })
}

// waitForRoom holds an Append back while the file is s.maxBehind or more
// behind the log: it hurries the applier and waits for its next attempt,
// for as long as ctx allows, and fails with ErrBehind when an attempt
// made while it waits fails and leaves the file as far behind.
func (s *Logged) waitForRoom(ctx context.Context) error {
	err := s.awaitApplier(ctx, func() bool { return s.behind < s.maxBehind })
	switch {
	case err == nil:
		return nil
	case err == ctx.Err():
		return fmt.Errorf("store: waiting for the file to catch up with its log: %w", err)
	}
	s.mu.Lock()
	behind := s.behind
	s.mu.Unlock()
	return fmt.Errorf("store: %w (%d bytes logged and not applied; applying fails: %w)", ErrBehind, behind, err)
}

// awaitApplier waits, hurrying the applier, until ready (called with s.mu
// held) reports true. It fails with ctx's error, or with the apply's error
// when an attempt made while it waits fails and ready still does not hold.
func (s *Logged) awaitApplier(ctx context.Context, ready func() bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for !ready() {
		ch := s.caught
		s.mu.Unlock()
		s.hurry()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.Lock()
			return ctx.Err()
		}
		s.mu.Lock()
		if err := s.applyErr; err != nil && !ready() {
			return err
		}
	}
	return nil
}

// poke tells the applier that the tail is not empty.
func (s *Logged) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// hurry tells the applier to apply now rather than let groups gather.
func (s *Logged) hurry() {
	s.poke()
	select {
	case s.urge <- struct{}{}:
	default:
	}
}

// Scan implements store.Store: before each page it waits for the groups
// logged so far to be applied, then reads the page from the file, so
// entries appended during the scan are seen as they are on Store.
func (s *Logged) Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: scan %s: %w", kind.Collection(), err)
	}
	return store.ScanPages(ctx, kind, after, s.db.scanPage, func(after uint64) ([]store.Entry, error) {
		if err := s.acquire(); err != nil {
			return nil, err
		}
		defer s.closeMu.RUnlock()
		if err := s.catchUp(ctx); err != nil {
			return nil, err
		}
		return s.db.readPage(bucket, after)
	}, fn)
}

// DeleteThrough implements store.Store, on the file once the groups logged
// before the call are applied.
func (s *Logged) DeleteThrough(ctx context.Context, kind store.Kind, seq uint64) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	if err := s.catchUp(ctx); err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
	}
	return s.db.DeleteThrough(ctx, kind, seq)
}

// Check is Store.Check once the groups logged before the call are applied.
func (s *Logged) Check(ctx context.Context) (Stats, error) {
	if err := s.acquire(); err != nil {
		return Stats{}, err
	}
	defer s.closeMu.RUnlock()
	if err := s.catchUp(ctx); err != nil {
		return Stats{}, fmt.Errorf("store: check: %w", err)
	}
	return s.db.Check(ctx)
}

// Count implements store.Store: the file's count plus the entries of the
// groups it does not hold yet.
func (s *Logged) Count(ctx context.Context, kind store.Kind) (int, error) {
	bucket, err := kindBucket(kind)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	var n int
	err = s.readThrough(ctx, func(tx *bolt.Tx, pending []*batch) {
		n = countIn(tx, bucket)
		for _, b := range pending {
			n += b.counts[kind]
		}
	})
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	return n, nil
}

// UsedBytes implements store.Store: the entries' room the file counts plus
// that of the entries of the groups it does not hold yet.
func (s *Logged) UsedBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.readThrough(ctx, func(tx *bolt.Tx, pending []*batch) {
		n = entriesRoom(tx)
		for _, b := range pending {
			n += b.bytes
		}
	})
	if err != nil {
		return 0, fmt.Errorf("store: used bytes: %w", err)
	}
	return n, nil
}

// readThrough calls fn with a read transaction of the file and the logged
// groups that transaction does not hold. It holds s.mu, so the applier
// cannot drop a group from the tail between the two.
func (s *Logged) readThrough(ctx context.Context, fn func(tx *bolt.Tx, pending []*batch)) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.closeMu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.view(ctx, func(tx *bolt.Tx) error {
		fn(tx, unapplied(s.tail, appliedIn(tx)))
		return nil
	})
}

// unapplied is the groups of tail after LSN applied.
func unapplied(tail []*batch, applied uint64) []*batch {
	for i, b := range tail {
		if b.lsn > applied {
			return tail[i:]
		}
	}
	return nil
}

// now is the clock keys age by (the file's store.KeyClock).
func (s *Logged) now() time.Time { return s.db.clock.Now() }

// Newest implements store.Newest, on the file once the groups logged
// before the call are applied.
func (s *Logged) Newest(ctx context.Context, kind store.Kind) (uint64, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.closeMu.RUnlock()
	if err := s.catchUp(ctx); err != nil {
		return 0, fmt.Errorf("store: newest %s: %w", kind.Collection(), err)
	}
	return s.db.Newest(ctx, kind)
}

// Backlog implements store.Backlogger: the bytes of the logged groups the
// file does not hold yet (at most about LogOptions.MaxBehind).
func (s *Logged) Backlog(context.Context) (int64, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.closeMu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.behind, nil
}

// Quarantined implements store.Quarantiner: the damaged entries the file
// set aside (logged groups are checked by the log's checksum, not counted).
func (s *Logged) Quarantined(ctx context.Context) (int64, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.closeMu.RUnlock()
	return s.db.Quarantined(ctx)
}

// Backup is Store.Backup once the groups logged before the call are
// applied: the copy holds every entry acknowledged before it began.
func (s *Logged) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.closeMu.RUnlock()
	if err := s.catchUp(ctx); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	return s.db.Backup(ctx, w)
}
