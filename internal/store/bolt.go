package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultRetention is how long idempotency keys are kept when
// Options.Retention is zero.
const DefaultRetention = 48 * time.Hour

// ErrUnknownKind is returned for a Kind that is neither Events nor Snapshots.
var ErrUnknownKind = errors.New("store: unknown kind")

// ErrKeyTooLong is returned by Append for an idempotency key longer than
// MaxKeyLen.
var ErrKeyTooLong = errors.New("store: idempotency key too long")

// ErrSumTooLong is returned by Append for a Record.Sum longer than
// MaxSumLen.
var ErrSumTooLong = errors.New("store: request sum too long")

// Tuning of the storage engine.
const (
	// scanPage is how many entries Scan copies out of one read
	// transaction. A long-lived bbolt read transaction blocks the file from
	// growing (remapping), so a slow reader must not hold one for the
	// whole collection.
	scanPage = 256

	// deletePage is how many entries DeleteThrough and Prune remove per
	// write transaction, so that emptying a large collection does not build
	// one huge transaction.
	deletePage = 1024

	// lockTimeout is how long Open waits for the file lock held by another
	// process before it fails.
	lockTimeout = time.Second
)

// Bucket names. The idempotency buckets of the format before request sums
// ("idempotency", "idempotency-by-time") are dropped by Open.
var (
	bucketEvents    = []byte("events")
	bucketSnapshots = []byte("snapshots")
	// bucketKeys maps an idempotency key to its record (see keys.go).
	bucketKeys = []byte("idempotency-keys")
	// bucketExpiry holds stored-at time + key with empty values: it orders
	// keys by age so expired ones are found at its start.
	bucketExpiry = []byte("idempotency-keys-by-time")

	oldBuckets = [][]byte{[]byte("idempotency"), []byte("idempotency-by-time")}
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Retention is how long idempotency keys are kept at least; zero means
	// DefaultRetention. Keys may be kept longer (they are pruned lazily),
	// but a key older than Retention is never reported as a duplicate.
	Retention time.Duration

	// MaxBytes bounds the room the entries and keys take in the file
	// (its pages in use, not its size: bbolt reuses freed pages but never
	// shrinks the file). An entry that does not fit fails with ErrFull.
	// Zero means no limit.
	MaxBytes int64

	// OnCommit, when set, is called after each commit of appended records
	// and before any of its Append calls returns: for metrics, and the
	// seam through which tests see that a sync came before an answer. It
	// must be quick: the next group waits for it.
	OnCommit func(CommitInfo)

	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger

	// Now is the clock used to age idempotency keys; nil means time.Now.
	Now func() time.Time

	// scanPage and lockTimeout override the package defaults in tests.
	scanPage    int
	lockTimeout time.Duration
}

// Bolt is the Store kept in one bbolt file. Create it with Open.
//
// Appends are group-committed: concurrent calls share one write transaction
// and one fsync (see committer; its goroutine is stopped by Close). Expired
// idempotency keys are pruned by the writes themselves (and by Prune).
type Bolt struct {
	db        *bolt.DB
	commits   *committer[*bolt.Tx]
	path      string
	retention time.Duration
	maxBytes  int64
	pageSize  int64
	now       func() time.Time
	log       *slog.Logger
	scanPage  int

	// mu guards closed. Operations hold it shared while they use db, so
	// Close (which takes it exclusively) waits for them to finish.
	mu     sync.RWMutex
	closed bool
}

// Open opens the store file at path, creating it and its parent directories
// if needed. An existing file keeps its entries and sequence numbers. Open
// fails if another process holds the file open, and with a *DamagedError
// (wrapping ErrDamaged) if the file is empty, truncated or fails the full
// consistency check; it never starts afresh over a damaged file.
func Open(path string, opts Options) (*Bolt, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return open(path, opts, false)
}

// OpenReadOnly opens an existing store file for reading only, to copy it
// elsewhere: it runs the same checks as Open (a damaged file is refused with
// the same *DamagedError) and never writes to the file, so Append,
// DeleteThrough and Prune fail. It shares the file lock with other readers
// only: it fails while the service holds the file, and the service cannot
// start while it is open.
func OpenReadOnly(path string, opts Options) (*Bolt, error) {
	opts = opts.withDefaults()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return open(path, opts, true)
}

// open is Open and OpenReadOnly once the directory is there.
func open(path string, opts Options, readOnly bool) (*Bolt, error) {
	if err := preflight(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.lockTimeout, ReadOnly: readOnly})
		return err
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = fmt.Errorf("file is locked by another process (is the service running?): %w", err)
		}
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := prepare(path, db); err != nil {
		_ = db.Close()
		return nil, err
	}
	opts.Logger.Debug("store opened", "path", path, "retention", opts.Retention, "max-bytes", opts.MaxBytes, "read-only", readOnly)
	return &Bolt{
		db: db,
		commits: newCommitter(
			func(fn func(*bolt.Tx) error) error {
				// A panic in bbolt (a page it cannot read) fails the group
				// with ErrDamaged rather than the process.
				return guard(path, func() error { return db.Update(fn) })
			},
			func() bool { return !db.NoSync }, // bbolt syncs inside Commit unless NoSync
			opts.OnCommit),
		path:      path,
		retention: opts.Retention,
		maxBytes:  opts.MaxBytes,
		pageSize:  int64(db.Info().PageSize),
		now:       opts.Now,
		log:       opts.Logger,
		scanPage:  opts.scanPage,
	}, nil
}

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.scanPage <= 0 {
		o.scanPage = scanPage
	}
	if o.lockTimeout <= 0 {
		o.lockTimeout = lockTimeout
	}
	return o
}

// prepare checks an opened file and, unless it is read-only, creates the
// buckets it lacks.
func prepare(path string, db *bolt.DB) error {
	if err := check(path, db); err != nil {
		return err
	}
	if db.IsReadOnly() {
		return nil
	}
	err := guard(path, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			for _, name := range oldBuckets {
				if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
					return fmt.Errorf("drop bucket %s: %w", name, err)
				}
			}
			for _, name := range [][]byte{bucketEvents, bucketSnapshots, bucketKeys, bucketExpiry} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, ErrDamaged) {
		err = fmt.Errorf("store: open %s: %w", path, err)
	}
	return err
}

// Path returns the file the store was opened on.
func (s *Bolt) Path() string { return s.path }

// Close closes the file after in-flight calls finish. It is idempotent:
// calls after the first return nil.
func (s *Bolt) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.commits.close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	s.log.Debug("store closed", "path", s.path)
	return nil
}

// acquire takes the shared lock for one use of db; release it with
// s.mu.RUnlock. It fails once the store is closed.
func (s *Bolt) acquire() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// update runs one write transaction under the shared lock; fn returns how
// much it did.
func (s *Bolt) update(fn func(*bolt.Tx) (int, error)) (int, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var n int
	err := guard(s.path, func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			var err error
			n, err = fn(tx)
			return err
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Scan implements Store. Each page of entries is copied out of its own read
// transaction before fn sees it, so fn may take as long as it likes and may
// itself write to the store. Entries appended during the scan are seen if
// they land after the page being read. Each page is checked on the way
// (consecutive sequence numbers, nothing skipped): a damaged page is an
// error wrapping ErrDamaged, never a silently shorter collection.
func (s *Bolt) Scan(ctx context.Context, kind Kind, after uint64, fn func(Entry) error) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: scan %s: %w", kind.Collection(), err)
	}
	return scanPages(ctx, kind, after, s.scanPage, func(after uint64) ([]Entry, error) {
		return s.readPage(bucket, after)
	}, fn)
}

// scanPages is Scan over a backend's readPage, which returns up to size
// entries of kind following after: fn sees each page's entries after the
// page was read, so no read is held open while it works.
func scanPages(ctx context.Context, kind Kind, after uint64, size int, readPage func(after uint64) ([]Entry, error), fn func(Entry) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind.Collection(), after, err)
		}
		page, err := readPage(after)
		if err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind.Collection(), after, err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(page) < size {
			return nil
		}
	}
}

// readPage copies up to s.scanPage entries with Seq > after.
func (s *Bolt) readPage(bucket []byte, after uint64) ([]Entry, error) {
	if after == ^uint64(0) {
		return nil, nil // nothing can follow the largest sequence number
	}
	var page []Entry
	err := s.view(context.Background(), func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil // a file opened read-only that never had this collection
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(page) < s.scanPage; k, v = c.Next() {
			if len(k) != 8 {
				return &DamagedError{Problem: fmt.Sprintf("collection %s: a key of %d bytes", bucket, len(k))}
			}
			page = append(page, Entry{Seq: binary.BigEndian.Uint64(k), Data: bytes.Clone(v)})
		}
		return checkPage(b, bucket, after, page, len(page) < s.scanPage)
	})
	return page, err
}

// checkPage checks a page read in one transaction against the layout
// checkLayout describes: entries follow each other without gaps; the first
// follows after, or nothing older is left (deleted by a check-in); the last
// page ends at the bucket's sequence.
func checkPage(b *bolt.Bucket, name []byte, after uint64, page []Entry, last bool) error {
	missing := func(from, to uint64) error {
		return &DamagedError{Problem: fmt.Sprintf("collection %s: entries %d to %d are missing", name, from, to)}
	}
	for i := 1; i < len(page); i++ {
		if page[i].Seq != page[i-1].Seq+1 {
			return missing(page[i-1].Seq+1, page[i].Seq-1)
		}
	}
	if len(page) > 0 && page[0].Seq != after+1 {
		if k, _ := b.Cursor().First(); k == nil || binary.BigEndian.Uint64(k) < page[0].Seq {
			return missing(after+1, page[0].Seq-1)
		}
	}
	end := after
	if len(page) > 0 {
		end = page[len(page)-1].Seq
	}
	if last && end < b.Sequence() {
		if k, _ := b.Cursor().First(); k != nil {
			return missing(end+1, b.Sequence())
		}
	}
	return nil
}

// view runs one read transaction under the shared lock, turning a page
// bbolt cannot read into an error wrapping ErrDamaged.
func (s *Bolt) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	err := guard(s.path, func() error { return s.db.View(fn) })
	var de *DamagedError
	if errors.As(err, &de) {
		de.Path = s.path
	}
	return err
}

// UsedBytes returns the file's pages in use, what Options.MaxBytes bounds.
func (s *Bolt) UsedBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = s.usedIn(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: used bytes: %w", err)
	}
	return n, nil
}

// usedIn estimates the bytes in use in the file as of tx: the file's pages
// up to the high-water mark minus the free ones (as of the last commit).
func (s *Bolt) usedIn(tx *bolt.Tx) int64 {
	st := s.db.Stats()
	return tx.Size() - int64(st.FreePageN+st.PendingPageN)*s.pageSize
}

// DeleteThrough implements Store. It deletes in several transactions of at
// most deletePage entries, oldest first, so a failure or a cancelled ctx
// leaves a shorter prefix deleted and calling again finishes the job.
func (s *Bolt) DeleteThrough(ctx context.Context, kind Kind, seq uint64) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
		}
		n, err := s.update(func(tx *bolt.Tx) (int, error) { return deleteFirst(tx.Bucket(bucket), seq, deletePage) })
		total += n
		if err != nil {
			return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
		}
		if n < deletePage {
			s.log.Debug("store deleted entries", "kind", kind.Collection(), "through", seq, "count", total)
			return nil
		}
	}
}

// deleteFirst deletes up to limit of the oldest entries with Seq <= seq.
func deleteFirst(b *bolt.Bucket, seq uint64, limit int) (int, error) {
	var drop [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && len(drop) < limit; k, _ = c.Next() {
		if binary.BigEndian.Uint64(k) > seq {
			break
		}
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return 0, fmt.Errorf("delete entry %d: %w", binary.BigEndian.Uint64(k), err)
		}
	}
	return len(drop), nil
}

// Count returns how many entries of kind are stored.
func (s *Bolt) Count(ctx context.Context, kind Kind) (int, error) {
	bucket, err := kindBucket(kind)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	var n int
	err = s.view(ctx, func(tx *bolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	return n, nil
}

// Stats are the counts `analyticsd check` prints.
type Stats struct {
	Events, Snapshots int   // entries stored
	Keys              int   // idempotency keys kept (expired ones not yet pruned included)
	FileBytes         int64 // the file's size
	UsedBytes         int64 // the file's pages in use (what Options.MaxBytes bounds)
}

// Check runs the full consistency check Open runs (bbolt's page check and
// the store's own layout check) and returns the counts. A problem is a
// *DamagedError.
func (s *Bolt) Check(ctx context.Context) (Stats, error) {
	if err := s.acquire(); err != nil {
		return Stats{}, err
	}
	err := check(s.path, s.db)
	s.mu.RUnlock()
	if err != nil {
		return Stats{}, err
	}
	var st Stats
	err = s.view(ctx, func(tx *bolt.Tx) error {
		st = Stats{
			Events:    tx.Bucket(bucketEvents).Stats().KeyN,
			Snapshots: tx.Bucket(bucketSnapshots).Stats().KeyN,
			Keys:      tx.Bucket(bucketKeys).Stats().KeyN,
			FileBytes: tx.Size(),
			UsedBytes: s.usedIn(tx),
		}
		return nil
	})
	if info, serr := os.Stat(s.path); serr == nil {
		st.FileBytes = info.Size()
	}
	return st, err
}

// kindBucket returns the bucket name of kind.
func kindBucket(kind Kind) ([]byte, error) {
	switch kind {
	case Events:
		return bucketEvents, nil
	case Snapshots:
		return bucketSnapshots, nil
	}
	return nil, fmt.Errorf("%w %d", ErrUnknownKind, kind)
}

// seqKey encodes seq big-endian, so byte order is arrival order.
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}
