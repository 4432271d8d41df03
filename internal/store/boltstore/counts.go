package boltstore

import (
	"encoding/binary"
	"fmt"
	"log/slog"

	bolt "go.etcd.io/bbolt"
)

// The meta bucket keeps the number of entries of each collection under
// "count-" + the collection's bucket name, as 8 bytes big-endian. Every
// transaction that adds or deletes entries updates it, so Count reads one
// key instead of walking the collection's pages, and a crash cannot leave
// it out of step with the entries.

// countKey is the meta key of a collection's count.
func countKey(bucket []byte) []byte {
	return append([]byte("count-"), bucket...)
}

// storedCount reads a collection's count; ok is false in a file from before
// the counts that was opened read-only (Open adds them).
func storedCount(tx *bolt.Tx, bucket []byte) (n uint64, ok bool) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, false
	}
	v := meta.Get(countKey(bucket))
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// countIn is the number of entries of a collection as of tx: the stored
// count, or for a file from before the counts, opened read-only, a walk of
// the collection's pages.
func countIn(tx *bolt.Tx, bucket []byte) int {
	if n, ok := storedCount(tx, bucket); ok {
		return int(n)
	}
	if b := tx.Bucket(bucket); b != nil {
		return b.Stats().KeyN
	}
	return 0
}

// setCount stores a collection's count.
func setCount(tx *bolt.Tx, bucket []byte, n uint64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	if err := tx.Bucket(bucketMeta).Put(countKey(bucket), v); err != nil {
		return fmt.Errorf("count %s: %w", bucket, err)
	}
	return nil
}

// addCount adds delta (negative for deletes) to a collection's count.
func addCount(tx *bolt.Tx, bucket []byte, delta int) error {
	if delta == 0 {
		return nil
	}
	n, _ := storedCount(tx, bucket) // Open wrote it
	return setCount(tx, bucket, uint64(int64(n)+int64(delta)))
}

// recount counts each collection (Open walks every page anyway) and stores
// the counts a file lacks (one from before them) or has wrong, which no
// transaction of this store leaves behind: the log says so.
func recount(tx *bolt.Tx, log *slog.Logger) error {
	for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
		actual := uint64(tx.Bucket(name).Stats().KeyN)
		stored, ok := storedCount(tx, name)
		switch {
		case ok && stored == actual:
			continue
		case ok:
			log.Warn("store count corrected", "collection", string(name), "stored", stored, "entries", actual)
		default:
			log.Info("store counted its entries", "collection", string(name), "entries", actual)
		}
		if err := setCount(tx, name, actual); err != nil {
			return err
		}
	}
	return nil
}
