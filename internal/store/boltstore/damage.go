package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// DamagedError reports a store file that cannot be used as it is: empty,
// shorter than its header says, or failing the consistency check. Open
// returns it instead of serving part of the file or starting afresh.
type DamagedError struct {
	Path    string
	Problem string // what is wrong, for a person
}

func (e *DamagedError) Error() string {
	return "store file " + e.Path + " is damaged: " + e.Problem +
		". Restore it from a backup, or move it away to start with an empty store"
}

// Is makes errors.Is(err, store.ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == store.ErrDamaged }

// bbolt's file header, as laid out by go.etcd.io/bbolt/internal/common: each
// of the first two pages is a 16-byte page header followed by a meta record.
const (
	pageHeaderSize = 16
	metaSize       = 64 // through the checksum
	metaSumOffset  = 56 // the checksum covers the bytes before it
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
)

// boltMeta is the part of a meta record the preflight needs.
type boltMeta struct {
	pageSize uint32
	pgid     uint64 // high-water mark: pages the file must hold
	txid     uint64
}

// preflight checks an existing store file before bbolt maps it: bbolt
// trusts the header and faults (SIGBUS/SIGSEGV, which no recover catches)
// when the file is shorter than the header says. A missing file is fine
// (Open creates it).
func preflight(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	size := info.Size()
	if size == 0 {
		return &DamagedError{Path: path, Problem: "the file is empty (0 bytes)"}
	}
	m, ok := newestMeta(f)
	if !ok {
		return &DamagedError{Path: path, Problem: fmt.Sprintf("neither header page is valid (%d bytes; not a store file, or overwritten)", size)}
	}
	if want := int64(m.pgid) * int64(m.pageSize); size < want {
		return &DamagedError{Path: path, Problem: fmt.Sprintf("the file is truncated: %d bytes, its header says %d", size, want)}
	}
	return nil
}

// newestMeta returns the valid meta record with the highest transaction id,
// as bbolt chooses it.
func newestMeta(r io.ReaderAt) (boltMeta, bool) {
	var best boltMeta
	found := false
	for _, ps := range []int64{0, 4096, int64(os.Getpagesize()), 8192, 16384, 65536} {
		for page := range int64(2) {
			if page == 0 && ps != 0 || page == 1 && ps == 0 {
				continue // meta 0 is at offset 0 whatever the page size
			}
			m, ok := readMeta(r, page*ps)
			if ok && (page == 0 || int64(m.pageSize) == ps) && (!found || m.txid > best.txid) {
				best, found = m, true
			}
		}
	}
	return best, found
}

// readMeta reads and validates the meta record of the page at off.
func readMeta(r io.ReaderAt, off int64) (boltMeta, bool) {
	b := make([]byte, metaSize)
	if _, err := r.ReadAt(b, off+pageHeaderSize); err != nil {
		return boltMeta{}, false
	}
	le := binary.LittleEndian
	h := fnv.New64a()
	_, _ = h.Write(b[:metaSumOffset])
	if le.Uint32(b[0:]) != boltMagic || le.Uint32(b[4:]) != boltVersion || le.Uint64(b[metaSumOffset:]) != h.Sum64() {
		return boltMeta{}, false
	}
	m := boltMeta{pageSize: le.Uint32(b[8:]), pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < 512 || m.pageSize > 1<<20 {
		return boltMeta{}, false
	}
	return m, true
}

// guard runs fn, turning a panic in it (bbolt panics on pages it cannot
// make sense of, and a read past the mapped file faults) into an error
// wrapping ErrDamaged.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Problem: fmt.Sprint("a page cannot be read: ", r)}
		}
	}()
	return fn()
}

// check runs bbolt's consistency check and this store's own invariants on
// db, and returns the first problem as a *DamagedError.
func check(path string, db *bolt.DB) error {
	err := guard(path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			// Walk every page here first, where a wild page number faults
			// into a recovered panic; bbolt's check runs in a goroutine of
			// its own, where it would crash the process.
			if err := checkLayout(tx); err != nil {
				return err
			}
			// Drain every error: the check uses this transaction, which
			// must stay open until it ends.
			var first error
			for err := range tx.Check() {
				if first == nil {
					// bbolt reports a page it could not walk as "panic: ...".
					first = &DamagedError{Path: path, Problem: "consistency check: " + strings.TrimPrefix(err.Error(), "panic: ")}
				}
			}
			return first
		})
	})
	var de *DamagedError
	if err != nil && !errors.As(err, &de) {
		err = &DamagedError{Path: path, Problem: err.Error()}
	}
	if de != nil {
		de.Path = path
	}
	return err
}

// checkLayout walks every bucket's pages and checks what bbolt cannot know:
// each collection holds a run of consecutive sequence numbers ending at the
// bucket's sequence (appends take the next number, deletes remove the
// oldest), and every remembered key has its one time-index entry.
func checkLayout(tx *bolt.Tx) error {
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		_ = b.Stats() // visits every page of the bucket
		return nil
	})
	if err != nil {
		return &DamagedError{Problem: err.Error()}
	}
	for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
		b := tx.Bucket(name)
		if b == nil {
			continue // created by Open
		}
		var prev uint64
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) != 8 {
				return &DamagedError{Problem: fmt.Sprintf("collection %s: a key of %d bytes", name, len(k))}
			}
			seq := binary.BigEndian.Uint64(k)
			if prev != 0 && seq != prev+1 && !quarantined(tx, name, prev+1, seq-1) {
				return &DamagedError{Problem: fmt.Sprintf("collection %s: entries %d to %d are missing", name, prev+1, seq-1)}
			}
			prev = seq
		}
		if prev != 0 && prev != b.Sequence() && !quarantined(tx, name, prev+1, b.Sequence()) {
			return &DamagedError{Problem: fmt.Sprintf("collection %s: entries %d to %d are missing", name, prev+1, b.Sequence())}
		}
	}
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	if keys != nil && expiry != nil && keys.Stats().KeyN != expiry.Stats().KeyN {
		return &DamagedError{Problem: fmt.Sprintf("idempotency keys: %d keys but %d index entries", keys.Stats().KeyN, expiry.Stats().KeyN)}
	}
	return nil
}
