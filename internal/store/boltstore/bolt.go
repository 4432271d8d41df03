// Package boltstore is the store.Store kept in one bbolt file, the
// service's default.
//
// The file holds one bucket per Kind keyed by big-endian sequence numbers
// (so key order is arrival order), the idempotency keys with a time index
// so expired ones are found and pruned cheaply, and a meta bucket with the
// number of entries of each collection, updated in the transaction that
// changes them so that Count costs the same at any size. Concurrent appends
// share one fsync (store.Committer); scans copy entries out a page at a
// time so readers never pin a read transaction while the caller works. Open
// refuses a damaged file (see DamagedError) rather than serving part of it,
// and every entry carries a checksum checked on each read: a damaged entry
// is set aside in a quarantine bucket, never served (see entries.go).
//
// Logged (OpenLogged) is the same file behind a write-ahead log, which the
// service uses: it answers after one sync of the log and applies to the
// file in the background. Open and OpenReadOnly first apply a log left
// next to the file (LogDir), so every opener sees the same entries.
package boltstore

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

	"github.com/analytics-client/analytics/internal/logthrottle"
	"github.com/analytics-client/analytics/internal/store"
)

// FileName is the name of the store file in the service's data directory.
const FileName = "analytics.db"

// Tuning of the storage engine.
const (
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
	// bucketMeta holds what the store keeps about itself: the number of
	// entries of each collection (see counts.go).
	bucketMeta = []byte("meta")

	oldBuckets = [][]byte{[]byte("idempotency"), []byte("idempotency-by-time")}
)

// Store is the store.Store kept in one bbolt file. Create it with Open.
//
// Appends are group-committed: concurrent calls share one write transaction
// and one fsync (see store.Committer; its goroutine is stopped by Close).
// Expired idempotency keys are pruned by the writes themselves.
type Store struct {
	db        *bolt.DB
	commits   *store.Committer[*bolt.Tx]
	path      string
	retention time.Duration
	maxBytes  int64
	maxKeys   int64 // Options.MaxKeyBytes
	clock     *store.KeyClock
	legacy    bool // the file may hold version 0 entries (read-only, never upgraded)
	log       *slog.Logger
	evictLog  *logthrottle.Logger
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
func Open(path string, opts store.Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := applyLeftLog(path, opts); err != nil {
		return nil, err
	}
	return open(path, opts.WithDefaults(), false, lockTimeout)
}

// OpenReadOnly opens an existing store file for reading only, to copy it
// elsewhere: it runs the same checks as Open (a damaged file is refused with
// the same *DamagedError) and never writes to the file, so Append,
// DeleteThrough and Prune fail (a write-ahead log left next to the file,
// LogDir, is applied to it first, as Open does). It shares the file lock with other readers
// only: it fails while the service holds the file, and the service cannot
// start while it is open.
func OpenReadOnly(path string, opts store.Options) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := applyLeftLog(path, opts); err != nil {
		return nil, err
	}
	return open(path, opts.WithDefaults(), true, lockTimeout)
}

// open is Open and OpenReadOnly once the directory is there; it waits
// wait for another process's lock on the file.
func open(path string, opts store.Options, readOnly bool, wait time.Duration) (*Store, error) {
	if err := preflight(path); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err := guard(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: wait, ReadOnly: readOnly})
		return err
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			err = fmt.Errorf("file is locked by another process (is the service running?): %w", err)
		}
		if errors.Is(err, store.ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := prepare(path, db, opts.Logger); err != nil {
		_ = db.Close()
		return nil, err
	}
	var legacy bool
	var recorded time.Time
	_ = db.View(func(tx *bolt.Tx) error {
		legacy, recorded = legacyIn(tx), latestRecorded(tx)
		return nil
	})
	// Keys age by elapsed time from the latest time the file recorded (a
	// file without keys: the wall clock). The wall clock at open is not
	// trusted over the file: a host whose clock jumped, or another host
	// the file was moved to, would expire every key at once. Time the
	// store spends closed does not age its keys.
	if recorded.IsZero() {
		recorded = opts.Now()
	}
	opts.Logger.Debug("store opened", "path", path, "retention", opts.Retention, "max-bytes", opts.MaxBytes, "read-only", readOnly)
	return &Store{
		db: db,
		commits: store.NewCommitter(
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
		maxKeys:   opts.MaxKeyBytes,
		clock:     store.NewKeyClock(recorded, opts.Elapsed),
		legacy:    legacy,
		log:       opts.Logger,
		evictLog:  logthrottle.New(opts.Logger, time.Minute, opts.Now),
		scanPage:  opts.ScanPage,
	}, nil
}

// prepare checks an opened file and, unless it is read-only, creates the
// buckets it lacks and counts its entries where the file does not.
func prepare(path string, db *bolt.DB, log *slog.Logger) error {
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
			for _, name := range [][]byte{bucketEvents, bucketSnapshots, bucketKeys, bucketExpiry, bucketMeta, bucketQuarantine} {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return fmt.Errorf("create bucket %s: %w", name, err)
				}
			}
			return recount(tx, log)
		})
	})
	if err == nil {
		err = upgrade(db, path, log)
	}
	if err != nil && !errors.Is(err, store.ErrDamaged) {
		err = fmt.Errorf("store: open %s: %w", path, err)
	}
	return err
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close closes the file after in-flight calls finish. It is idempotent:
// calls after the first return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.commits.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", s.path, err)
	}
	s.log.Debug("store closed", "path", s.path)
	return nil
}

// acquire takes the shared lock for one use of db; release it with
// s.mu.RUnlock. It fails once the store is closed.
func (s *Store) acquire() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// update runs one write transaction under the shared lock; fn returns how
// much it did.
func (s *Store) update(fn func(*bolt.Tx) (int, error)) (int, error) {
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
func (s *Store) Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: scan %s: %w", kind.Collection(), err)
	}
	return store.ScanPages(ctx, kind, after, s.scanPage, func(after uint64) ([]store.Entry, error) {
		return s.readPage(bucket, after)
	}, fn)
}

// readPage copies up to s.scanPage sound entries with Seq > after. An
// entry that fails its checksum is left out and set aside (see
// setAside).
func (s *Store) readPage(bucket []byte, after uint64) ([]store.Entry, error) {
	if after == ^uint64(0) {
		return nil, nil // nothing can follow the largest sequence number
	}
	var page, read []store.Entry // the sound entries; every entry read
	var damaged []store.Entry
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
			e := store.Entry{Seq: binary.BigEndian.Uint64(k)}
			read = append(read, e)
			data, err := store.DecodeEntry(store.Kind(kindByte(bucket)), e.Seq, v, s.legacy)
			if err != nil {
				damaged = append(damaged, store.Entry{Seq: e.Seq, Data: bytes.Clone(v)})
				continue
			}
			e.Data = bytes.Clone(data)
			page = append(page, e)
		}
		return checkPage(tx, b, bucket, after, read, len(page) < s.scanPage)
	})
	if err == nil && len(damaged) > 0 {
		s.setAside(bucket, damaged)
	}
	return page, err
}

// setAside moves damaged entries read by a scan to the quarantine bucket,
// checking each again in the write transaction. A store opened read-only
// cannot: it logs them instead, and they stay unserved. A failure is
// logged; the entries are left out of the scan all the same.
func (s *Store) setAside(bucket []byte, damaged []store.Entry) {
	if s.db.IsReadOnly() {
		for _, e := range damaged {
			s.log.Error("store entry damaged: not served (read-only: left in place)", "kind", string(bucket), "seq", e.Seq)
		}
		return
	}
	_, err := s.update(func(tx *bolt.Tx) (int, error) {
		b := tx.Bucket(bucket)
		for _, e := range damaged {
			v := b.Get(seqKey(e.Seq))
			if v == nil {
				continue // deleted or set aside meanwhile
			}
			if _, derr := store.DecodeEntry(store.Kind(kindByte(bucket)), e.Seq, v, s.legacy); derr != nil {
				if err := quarantine(tx, s.log, bucket, e.Seq, v, derr); err != nil {
					return 0, err
				}
			}
		}
		return 0, nil
	})
	if err != nil {
		s.log.Error("store: setting damaged entries aside failed", "kind", string(bucket), "err", err)
	}
}

// checkPage checks a page read in one transaction against the layout
// checkLayout describes: entries follow each other without gaps; the first
// follows after, or nothing older is left (deleted by a check-in); the last
// page ends at the bucket's sequence.
func checkPage(tx *bolt.Tx, b *bolt.Bucket, name []byte, after uint64, page []store.Entry, last bool) error {
	missing := func(from, to uint64) error {
		if quarantined(tx, name, from, to) {
			return nil
		}
		return &DamagedError{Problem: fmt.Sprintf("collection %s: entries %d to %d are missing", name, from, to)}
	}
	for i := 1; i < len(page); i++ {
		if page[i].Seq != page[i-1].Seq+1 {
			if err := missing(page[i-1].Seq+1, page[i].Seq-1); err != nil {
				return err
			}
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
func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
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

// UsedBytes implements store.Store: the room the entries take, what
// Options.MaxBytes bounds (each entry's data plus store.EntryOverhead), from
// the counter the meta bucket keeps as entries are added and deleted.
func (s *Store) UsedBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = entriesRoom(tx)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: used bytes: %w", err)
	}
	return n, nil
}

// entriesRoom is the room the entries take as of tx; in a file from before
// the counter, opened read-only, a walk of the entries.
func entriesRoom(tx *bolt.Tx) int64 {
	if n, ok := metaInt(tx, metaBytes); ok {
		return n
	}
	var n int64
	for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
		if b := tx.Bucket(name); b != nil {
			_ = b.ForEach(func(_, v []byte) error { n += entryCost(len(v)); return nil })
		}
	}
	return n
}

// filePagesInUse is the bytes of the file's pages in use as of tx: the
// pages up to the high-water mark minus the free ones.
func (s *Store) filePagesInUse(tx *bolt.Tx) int64 {
	st := s.db.Stats()
	return tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize)
}

// DeleteThrough implements Store. It deletes in several transactions of at
// most deletePage entries, oldest first, so a failure or a cancelled ctx
// leaves a shorter prefix deleted and calling again finishes the job.
func (s *Store) DeleteThrough(ctx context.Context, kind store.Kind, seq uint64) error {
	bucket, err := kindBucket(kind)
	if err != nil {
		return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
	}
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: delete %s through %d: %w", kind.Collection(), seq, err)
		}
		n, err := s.update(func(tx *bolt.Tx) (int, error) { return s.deleteFirst(tx, bucket, seq, deletePage) })
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

// deleteFirst deletes up to limit of the oldest entries with Seq <= seq
// from bucket, and takes them off its count and room. An entry that fails
// its checksum was not what the caller read (nor uploaded): it is set
// aside instead of deleted.
func (s *Store) deleteFirst(tx *bolt.Tx, bucket []byte, seq uint64, limit int) (int, error) {
	b := tx.Bucket(bucket)
	var drop, bad [][2][]byte
	n := 0
	c := b.Cursor()
	for k, v := c.First(); k != nil && n < limit; k, v = c.Next() {
		if binary.BigEndian.Uint64(k) > seq {
			break
		}
		n++
		kv := [2][]byte{bytes.Clone(k), bytes.Clone(v)}
		if _, err := store.DecodeEntry(store.Kind(kindByte(bucket)), binary.BigEndian.Uint64(k), v, s.legacy); err != nil {
			bad = append(bad, kv)
		} else {
			drop = append(drop, kv)
		}
	}
	var room int64
	for _, kv := range drop {
		if err := b.Delete(kv[0]); err != nil {
			return 0, fmt.Errorf("delete entry %d: %w", binary.BigEndian.Uint64(kv[0]), err)
		}
		room += entryCost(len(kv[1]) - 5)
	}
	for _, kv := range bad {
		seq := binary.BigEndian.Uint64(kv[0])
		_, why := store.DecodeEntry(store.Kind(kindByte(bucket)), seq, kv[1], s.legacy)
		if err := quarantine(tx, s.log, bucket, seq, kv[1], why); err != nil {
			return 0, err
		}
	}
	if err := addMetaInt(tx, metaBytes, -room); err != nil {
		return 0, err
	}
	return n, addCount(tx, bucket, -len(drop))
}

// Count implements store.Store: it reads the count the meta bucket keeps.
func (s *Store) Count(ctx context.Context, kind store.Kind) (int, error) {
	bucket, err := kindBucket(kind)
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	var n int
	err = s.view(ctx, func(tx *bolt.Tx) error {
		n = countIn(tx, bucket)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: count %s: %w", kind.Collection(), err)
	}
	return n, nil
}

// Stats are the counts `analyticsd check` prints.
type Stats struct {
	Events, Snapshots int   // entries stored (damaged ones not yet set aside included)
	Keys              int   // idempotency keys kept (expired ones not yet pruned included)
	FileBytes         int64 // the file's size
	UsedBytes         int64 // the room the entries take (what Options.MaxBytes bounds)
	PageBytes         int64 // the file's pages in use
	// Damaged are the entries that fail their checksum, still in their
	// collection; Quarantined those set aside earlier.
	Damaged     []DamagedEntry
	Quarantined []DamagedEntry
}

// DamagedEntry names a damaged entry.
type DamagedEntry struct {
	Kind store.Kind
	Seq  uint64
}

// Check runs the full consistency check Open runs (bbolt's page check and
// the store's own layout check), verifies every entry's checksum, and
// returns the counts and the damaged entries. A problem with the file's
// structure is a *DamagedError; damaged entries are reported in Stats and
// left where they are (Check never writes).
func (s *Store) Check(ctx context.Context) (Stats, error) {
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
			Events:    bucketLen(tx, bucketEvents),
			Snapshots: bucketLen(tx, bucketSnapshots),
			Keys:      bucketLen(tx, bucketKeys),
			FileBytes: tx.Size(),
			UsedBytes: entriesRoom(tx),
			PageBytes: s.filePagesInUse(tx),
		}
		st.Damaged, st.Quarantined = damagedIn(tx, s.legacy)
		return nil
	})
	if info, serr := os.Stat(s.path); serr == nil {
		st.FileBytes = info.Size()
	}
	return st, err
}

// bucketLen is the number of keys in a bucket, 0 when the file lacks it.
func bucketLen(tx *bolt.Tx, name []byte) int {
	if b := tx.Bucket(name); b != nil {
		return b.Stats().KeyN
	}
	return 0
}

// damagedIn verifies every entry of both collections and lists those that
// fail, and those in quarantine.
func damagedIn(tx *bolt.Tx, legacy bool) (damaged, set []DamagedEntry) {
	for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
		b := tx.Bucket(name)
		if b == nil {
			continue
		}
		kind := store.Kind(kindByte(name))
		_ = b.ForEach(func(k, v []byte) error {
			if seq := binary.BigEndian.Uint64(k); len(k) == 8 {
				if _, err := store.DecodeEntry(kind, seq, v, legacy); err != nil {
					damaged = append(damaged, DamagedEntry{Kind: kind, Seq: seq})
				}
			}
			return nil
		})
	}
	if q := tx.Bucket(bucketQuarantine); q != nil {
		_ = q.ForEach(func(k, _ []byte) error {
			if len(k) == 9 {
				set = append(set, DamagedEntry{Kind: store.Kind(k[0]), Seq: binary.BigEndian.Uint64(k[1:])})
			}
			return nil
		})
	}
	return damaged, set
}

// Quarantined implements store.Quarantiner: how many damaged entries were
// set aside.
func (s *Store) Quarantined(ctx context.Context) (int64, error) {
	var n int
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n = bucketLen(tx, bucketQuarantine)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: quarantined: %w", err)
	}
	return int64(n), nil
}

// latestRecorded is the latest time the file recorded: the newest
// remembered key's (the time index sorts by it); zero without keys.
func latestRecorded(tx *bolt.Tx) time.Time {
	b := tx.Bucket(bucketExpiry)
	if b == nil {
		return time.Time{}
	}
	k, _ := b.Cursor().Last()
	if len(k) < 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
}

// kindBucket returns the bucket name of kind.
func kindBucket(kind store.Kind) ([]byte, error) {
	switch kind {
	case store.Events:
		return bucketEvents, nil
	case store.Snapshots:
		return bucketSnapshots, nil
	}
	return nil, fmt.Errorf("%w %d", store.ErrUnknownKind, kind)
}

// seqKey encodes seq big-endian, so byte order is arrival order.
func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// Newest implements store.Newest.
func (s *Store) Newest(ctx context.Context, kind store.Kind) (uint64, error) {
	bucket, err := kindBucket(kind)
	if err != nil {
		return 0, fmt.Errorf("store: newest %s: %w", kind.Collection(), err)
	}
	var seq uint64
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			if k, _ := b.Cursor().Last(); len(k) == 8 {
				seq = binary.BigEndian.Uint64(k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: newest %s: %w", kind.Collection(), err)
	}
	return seq, nil
}
