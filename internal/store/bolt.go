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

// MaxKeyLen is the longest idempotency key Append accepts. bbolt limits keys
// to 32 KiB; the time index prefixes each key with 8 bytes.
const MaxKeyLen = 1024

// ErrUnknownKind is returned for a Kind that is neither Events nor Snapshots.
var ErrUnknownKind = errors.New("store: unknown kind")

// ErrKeyTooLong is returned by Append for an idempotency key longer than
// MaxKeyLen.
var ErrKeyTooLong = errors.New("store: idempotency key too long")

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

	// prunePerAppend is how many expired idempotency keys each Append
	// removes in passing. Each Append adds at most one key, so any value
	// above one keeps the key set bounded under steady writes.
	prunePerAppend = 8

	// lockTimeout is how long Open waits for the file lock held by another
	// process before it fails.
	lockTimeout = time.Second
)

// Bucket names.
var (
	bucketEvents    = []byte("events")
	bucketSnapshots = []byte("snapshots")
	// bucketKeys maps an idempotency key to its stored-at time (8 bytes,
	// big-endian Unix nanoseconds) followed by the remembered reply.
	bucketKeys = []byte("idempotency")
	// bucketExpiry holds stored-at time + key with empty values: it orders
	// keys by age so expired ones are found at its start.
	bucketExpiry = []byte("idempotency-by-time")
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Retention is how long idempotency keys are kept at least; zero means
	// DefaultRetention. Keys may be kept longer (they are pruned lazily),
	// but a key older than Retention is never reported as a duplicate.
	Retention time.Duration

	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger

	// Now is the clock used to age idempotency keys; nil means time.Now.
	Now func() time.Time

	// OnCommit, when set, is called after each group commit with the
	// number of writes it held and how long it took (sync included), for
	// metrics. It must be quick: the next group waits for it.
	OnCommit func(writes int, took time.Duration)

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
	commits   *committer
	path      string
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	scanPage  int

	// mu guards closed. Operations hold it shared while they use db, so
	// Close (which takes it exclusively) waits for them to finish.
	mu     sync.RWMutex
	closed bool
}

var _ Store = (*Bolt)(nil)

// Open opens the store file at path, creating it and its parent directories
// if needed. An existing file keeps its entries and sequence numbers. Open
// fails if another process holds the file open.
func Open(path string, opts Options) (*Bolt, error) {
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.scanPage <= 0 {
		opts.scanPage = scanPage
	}
	if opts.lockTimeout <= 0 {
		opts.lockTimeout = lockTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.lockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = fmt.Errorf("file is locked by another process: %w", err)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketEvents, bucketSnapshots, bucketKeys, bucketExpiry} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	opts.Logger.Debug("store opened", "path", path, "retention", opts.Retention)
	return &Bolt{
		db:        db,
		commits:   newCommitter(db, opts.OnCommit),
		path:      path,
		retention: opts.Retention,
		now:       opts.Now,
		log:       opts.Logger,
		scanPage:  opts.scanPage,
	}, nil
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

// Append implements Store. It is group-committed with other concurrent
// appends and returns after the group's fsync. ctx is checked before the
// write; once the write has begun Append waits for the commit (one fsync).
func (s *Bolt) Append(ctx context.Context, kind Kind, data []byte, key string, reply []byte) (prior []byte, dup bool, err error) {
	bucket, err := kindBucket(kind)
	if err != nil {
		return nil, false, fmt.Errorf("store: append to %s: %w", kind, err)
	}
	if len(key) > MaxKeyLen {
		return nil, false, fmt.Errorf("store: append to %s with key of %d bytes: %w", kind, len(key), ErrKeyTooLong)
	}
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("store: append to %s: %w", kind, err)
	}
	if err := s.acquire(); err != nil {
		return nil, false, err
	}
	defer s.mu.RUnlock()
	if data == nil && key == "" {
		return nil, false, nil // nothing to store or remember
	}

	// A retried request usually finds its key already stored: answer it
	// from a read transaction instead of joining a write and an fsync.
	if key != "" {
		err := s.db.View(func(tx *bolt.Tx) error {
			prior, dup = s.lookup(tx, key)
			return nil
		})
		if err != nil || dup {
			return prior, dup, wrapAppend(kind, key, err)
		}
	}

	// The committer may run this function more than once (when another
	// member of the group fails, the transaction is rolled back and the
	// rest re-run),
	// so it sets every result from scratch on each run. Two appends of one
	// key in the same group see each other because they share the
	// transaction: the second finds the first's key and stores nothing.
	err = s.commits.do(func(tx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		var res Result
		err := s.appendIn(tx, bucket, Record{Kind: kind, Data: data, Key: key, Reply: reply}, &res)
		prior, dup = res.Prior, res.Dup
		if err != nil {
			return err
		}
		return s.prune(tx, prunePerAppend)
	})
	return prior, dup, wrapAppend(kind, key, err)
}

func wrapAppend(kind Kind, key string, err error) error {
	if err == nil {
		return nil
	}
	if key == "" {
		return fmt.Errorf("store: append to %s: %w", kind, err)
	}
	return fmt.Errorf("store: append to %s with key %q: %w", kind, key, err)
}

// putNext stores data under the bucket's next sequence number.
func putNext(b *bolt.Bucket, data []byte) error {
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("next sequence: %w", err)
	}
	if err := b.Put(seqKey(seq), data); err != nil {
		return fmt.Errorf("put entry %d: %w", seq, err)
	}
	return nil
}

// lookup returns a copy of the reply remembered under key, if key is stored
// and not expired.
func (s *Bolt) lookup(tx *bolt.Tx, key string) (reply []byte, ok bool) {
	v := tx.Bucket(bucketKeys).Get([]byte(key))
	if len(v) < 8 {
		return nil, false
	}
	if s.expired(v[:8]) {
		return nil, false
	}
	return bytes.Clone(v[8:]), true
}

// expired reports whether a stored-at time (8 bytes) is older than the
// retention.
func (s *Bolt) expired(storedAt []byte) bool {
	at := time.Unix(0, int64(binary.BigEndian.Uint64(storedAt)))
	return s.now().Sub(at) >= s.retention
}

// remember stores reply under key with the current time, replacing an
// expired record of the same key (and its index entry).
func (s *Bolt) remember(tx *bolt.Tx, key string, reply []byte) error {
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	if old := keys.Get([]byte(key)); len(old) >= 8 {
		if err := expiry.Delete(expiryKey(old[:8], key)); err != nil {
			return fmt.Errorf("drop expired key: %w", err)
		}
	}
	at := make([]byte, 8)
	binary.BigEndian.PutUint64(at, uint64(s.now().UnixNano()))
	v := make([]byte, 0, 8+len(reply))
	v = append(append(v, at...), reply...)
	if err := keys.Put([]byte(key), v); err != nil {
		return fmt.Errorf("remember key: %w", err)
	}
	if err := expiry.Put(expiryKey(at, key), nil); err != nil {
		return fmt.Errorf("index key: %w", err)
	}
	return nil
}

// pruneN removes up to limit expired idempotency keys, oldest first, and
// returns how many it removed.
func (s *Bolt) pruneN(tx *bolt.Tx, limit int) (int, error) {
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	// Collect first: deleting under a live cursor can skip entries.
	var drop [][]byte
	c := expiry.Cursor()
	for k, _ := c.First(); k != nil && len(drop) < limit; k, _ = c.Next() {
		if len(k) < 8 || !s.expired(k[:8]) {
			break
		}
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		key := k[8:]
		// The key may have been stored again since; only drop the record
		// this index entry describes.
		if v := keys.Get(key); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
			if err := keys.Delete(key); err != nil {
				return 0, fmt.Errorf("prune key %q: %w", key, err)
			}
		}
		if err := expiry.Delete(k); err != nil {
			return 0, fmt.Errorf("prune index of key %q: %w", key, err)
		}
	}
	return len(drop), nil
}

// prune is pruneN for callers that need only the error.
func (s *Bolt) prune(tx *bolt.Tx, limit int) error {
	_, err := s.pruneN(tx, limit)
	return err
}

// Prune removes every expired idempotency key and returns how many it
// removed. Appends already prune a few keys each; Prune is for a periodic
// sweep (for instance after the daily check-in).
func (s *Bolt) Prune(ctx context.Context) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
		n, err := s.update(func(tx *bolt.Tx) (int, error) { return s.pruneN(tx, deletePage) })
		total += n
		if err != nil {
			return total, fmt.Errorf("store: prune: %w", err)
		}
		if n < deletePage {
			if total > 0 {
				s.log.Debug("store pruned idempotency keys", "count", total)
			}
			return total, nil
		}
	}
}

// update runs one write transaction under the shared lock; fn returns how
// much it did.
func (s *Bolt) update(fn func(*bolt.Tx) (int, error)) (int, error) {
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var n int
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		n, err = fn(tx)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Scan implements Store. Each page of entries is copied out of its own read
// transaction before fn sees it, so fn may take as long as it likes and may
// itself write to the store. Entries appended during the scan are seen if
// they land after the page being read.
func (s *Bolt) Scan(ctx context.Context, kind Kind, after uint64, fn func(Entry) error) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: scan %s: %w", kind, err)
	}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind, after, err)
		}
		page, err := s.readPage(bucket, after)
		if err != nil {
			return fmt.Errorf("store: scan %s after %d: %w", kind, after, err)
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
			after = e.Seq
		}
		if len(page) < s.scanPage {
			return nil
		}
	}
}

// readPage copies up to s.scanPage entries with Seq > after.
func (s *Bolt) readPage(bucket []byte, after uint64) ([]Entry, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	if after == ^uint64(0) {
		return nil, nil // nothing can follow the largest sequence number
	}
	var page []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(page) < s.scanPage; k, v = c.Next() {
			page = append(page, Entry{Seq: binary.BigEndian.Uint64(k), Data: bytes.Clone(v)})
		}
		return nil
	})
	return page, err
}

// DeleteThrough implements Store. It deletes in several transactions of at
// most deletePage entries, oldest first, so a failure or a cancelled ctx
// leaves a shorter prefix deleted and calling again finishes the job.
func (s *Bolt) DeleteThrough(ctx context.Context, kind Kind, seq uint64) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind, seq, err)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: delete %s through %d: %w", kind, seq, err)
		}
		n, err := s.update(func(tx *bolt.Tx) (int, error) { return deleteFirst(tx.Bucket(bucket), seq, deletePage) })
		total += n
		if err != nil {
			return fmt.Errorf("store: delete %s through %d: %w", kind, seq, err)
		}
		if n < deletePage {
			s.log.Debug("store deleted entries", "kind", kind.String(), "through", seq, "count", total)
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
		return 0, fmt.Errorf("store: count %s: %w", kind, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind, err)
	}
	if err := s.acquire(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var n int
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucket).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind, err)
	}
	return n, nil
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

// expiryKey is the time index key of key stored at storedAt (8 bytes).
func expiryKey(storedAt []byte, key string) []byte {
	k := make([]byte, 0, 8+len(key))
	return append(append(k, storedAt...), key...)
}
