package boltstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// Entry values are in the versioned record format of store.EncodeEntry: a
// version byte and a CRC-32C of the sequence number and data, checked on
// every read. Files from before the format hold bare JSON (version 0):
// Open rewrites them in place, once, and then marks the file ("format" in
// the meta bucket), after which a value that is not version 1 is damaged.
// A file opened read-only that was never upgraded reads version 0 values
// unchecked.
//
// A damaged entry is set aside: moved to the quarantine bucket (under its
// kind byte and sequence number, with its value as found), taken off its
// collection's count and room, and logged once at ERROR. It is never
// served, uploaded, or deleted by a check-in; the layout checks count a
// quarantined sequence number as present.

// Meta keys of the record format and the room counters.
var (
	metaFormat   = []byte("format")    // 1 byte: 1 once every entry is version 1
	metaBytes    = []byte("bytes")     // 8 bytes: the entries' room, as MaxBytes counts it
	metaKeyBytes = []byte("key-bytes") // 8 bytes: the idempotency keys' room, as MaxKeyBytes counts it
)

// bucketQuarantine holds the damaged entries set aside.
var bucketQuarantine = []byte("quarantine")

// upgradePage is how many entries one upgrade transaction rewrites.
const upgradePage = 4096

// entryCost is the room an entry of n data bytes takes against MaxBytes.
func entryCost(n int) int64 { return int64(n + store.EntryOverhead) }

// legacyIn reports whether tx's file may still hold version 0 entries.
func legacyIn(tx *bolt.Tx) bool {
	meta := tx.Bucket(bucketMeta)
	return meta == nil || !bytes.Equal(meta.Get(metaFormat), []byte{1})
}

// metaInt reads an 8-byte counter of the meta bucket; ok is false when it
// is not there.
func metaInt(tx *bolt.Tx, key []byte) (int64, bool) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, false
	}
	v := meta.Get(key)
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}

// setMetaInt stores an 8-byte counter of the meta bucket.
func setMetaInt(tx *bolt.Tx, key []byte, n int64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(max(n, 0)))
	if err := tx.Bucket(bucketMeta).Put(key, v); err != nil {
		return fmt.Errorf("meta %s: %w", key, err)
	}
	return nil
}

// addMetaInt adds delta to a counter of the meta bucket.
func addMetaInt(tx *bolt.Tx, key []byte, delta int64) error {
	if delta == 0 {
		return nil
	}
	n, _ := metaInt(tx, key)
	return setMetaInt(tx, key, n+delta)
}

// quarantineKey is the quarantine bucket's key of entry seq of bucket.
func quarantineKey(bucket []byte, seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = kindByte(bucket)
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

// kindByte is the store.Kind of a collection bucket, as one byte.
func kindByte(bucket []byte) byte {
	if bytes.Equal(bucket, bucketSnapshots) {
		return byte(store.Snapshots)
	}
	return byte(store.Events)
}

// quarantined reports whether every entry from..to of bucket is in the
// quarantine bucket: a gap it explains is no damage to the layout.
func quarantined(tx *bolt.Tx, bucket []byte, from, to uint64) bool {
	q := tx.Bucket(bucketQuarantine)
	if q == nil || to < from {
		return false
	}
	n := uint64(0)
	c, end := q.Cursor(), quarantineKey(bucket, to)
	for k, _ := c.Seek(quarantineKey(bucket, from)); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
		n++
	}
	return n == to-from+1
}

// quarantine moves entry seq of bucket, with its value v as found, to the
// quarantine bucket, and takes it off the collection's count and room. It
// logs one ERROR naming it.
func quarantine(tx *bolt.Tx, log *slog.Logger, bucket []byte, seq uint64, v []byte, why error) error {
	b := tx.Bucket(bucket)
	if err := tx.Bucket(bucketQuarantine).Put(quarantineKey(bucket, seq), bytes.Clone(v)); err != nil {
		return fmt.Errorf("quarantine entry %d: %w", seq, err)
	}
	if err := b.Delete(seqKey(seq)); err != nil {
		return fmt.Errorf("quarantine entry %d: %w", seq, err)
	}
	if err := addCount(tx, bucket, -1); err != nil {
		return err
	}
	if err := addMetaInt(tx, metaBytes, -entryCost(max(len(v)-5, 0))); err != nil {
		return err
	}
	log.Error("store entry damaged: set aside in quarantine, not served or uploaded",
		"kind", string(bucket), "seq", seq, "err", why)
	return nil
}

// upgrade rewrites the version 0 entries of a writable file as version 1,
// a page at a time, computes the room counters a file lacks, and marks the
// file. It does nothing on a file already marked.
func upgrade(db *bolt.DB, path string, log *slog.Logger) error {
	var legacy bool
	_ = db.View(func(tx *bolt.Tx) error { legacy = legacyIn(tx); return nil })
	if !legacy {
		return nil
	}
	total := 0
	for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
		var after uint64
		for {
			n, last := 0, after
			err := guard(path, func() error {
				return db.Update(func(tx *bolt.Tx) error {
					n = 0
					b := tx.Bucket(name)
					var todo [][2][]byte
					c := b.Cursor()
					for k, v := c.Seek(seqKey(after + 1)); k != nil && len(todo) < upgradePage; k, v = c.Next() {
						last = binary.BigEndian.Uint64(k)
						todo = append(todo, [2][]byte{bytes.Clone(k), bytes.Clone(v)})
					}
					for _, kv := range todo {
						if len(kv[1]) > 0 && kv[1][0] == store.EntryVersion1 {
							continue // written by this version already
						}
						if err := b.Put(kv[0], store.EncodeEntry(binary.BigEndian.Uint64(kv[0]), kv[1])); err != nil {
							return fmt.Errorf("upgrade entry: %w", err)
						}
						n++
					}
					if len(todo) < upgradePage {
						last = ^uint64(0)
					}
					return nil
				})
			})
			if err != nil {
				return err
			}
			total += n
			if last == ^uint64(0) {
				break
			}
			after = last
		}
	}
	err := guard(path, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			var room int64
			for _, name := range [][]byte{bucketEvents, bucketSnapshots} {
				_ = tx.Bucket(name).ForEach(func(_, v []byte) error { room += entryCost(max(len(v)-5, 0)); return nil })
			}
			if err := setMetaInt(tx, metaBytes, room); err != nil {
				return err
			}
			if err := setMetaInt(tx, metaKeyBytes, keysRoom(tx)); err != nil {
				return err
			}
			return tx.Bucket(bucketMeta).Put(metaFormat, []byte{1})
		})
	})
	if err != nil {
		return err
	}
	if total > 0 {
		log.Info("store upgraded to checksummed entries", "path", path, "rewritten", total)
	}
	return nil
}

// keysRoom is the room the remembered keys take, counted as remember does.
func keysRoom(tx *bolt.Tx) int64 {
	var n int64
	_ = tx.Bucket(bucketKeys).ForEach(func(k, v []byte) error { n += keyCost(len(k), len(v)); return nil })
	return n
}
