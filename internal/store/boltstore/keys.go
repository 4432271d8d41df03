package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// A remembered key's value is: stored-at time (8 bytes, big-endian Unix
// nanoseconds), the length of Sum (1 byte, with keyChecked set), Sum,
// Reply, then store.KeyChecksum of the key and everything before it (4
// bytes, big-endian). Records from before the checksum (keyChecked clear)
// end with Reply and are read unchecked until they expire. The time index
// (bucketExpiry) holds stored-at time + key with empty values, so expired
// keys are found at its start.

// keyChecked flags, in a record's Sum-length byte, a record that ends with
// its checksum (store.MaxSumLen leaves the bit free).
const keyChecked = 0x80

// keyRecord is a remembered key, decoded.
type keyRecord struct {
	storedAt []byte // 8 bytes
	sum      []byte
	reply    []byte
}

// decodeKeyRecord decodes the record v of key, checking its checksum; an
// error says how it is damaged.
func decodeKeyRecord(key string, v []byte) (keyRecord, error) {
	if len(v) < 9 {
		return keyRecord{}, fmt.Errorf("a record of %d bytes", len(v))
	}
	n := 9 + int(v[8]&^keyChecked)
	end := len(v)
	if v[8]&keyChecked != 0 {
		end -= 4
		if end < n {
			return keyRecord{}, fmt.Errorf("a record of %d bytes", len(v))
		}
		if want, got := binary.BigEndian.Uint32(v[end:]), store.KeyChecksum(key, v[:end]); want != got {
			return keyRecord{}, fmt.Errorf("checksum %08x, the record sums to %08x", want, got)
		}
	} else if end < n {
		return keyRecord{}, fmt.Errorf("a record of %d bytes", len(v))
	}
	return keyRecord{storedAt: v[:8], sum: v[9:n], reply: v[n:end]}, nil
}

// lookup finds r.Key: dup when it is remembered with r.Sum (prior is a copy
// of the reply), ErrKeyReused when with another Sum. An expired or unknown
// key is neither, and so is a damaged record: the request is taken as new,
// and remember replaces the record (an entry stored twice rather than an
// answer the record cannot vouch for).
func (s *Store) lookup(tx *bolt.Tx, r store.Record) (prior []byte, dup bool, err error) {
	v := tx.Bucket(bucketKeys).Get([]byte(r.Key))
	if v == nil {
		return nil, false, nil
	}
	rec, err := decodeKeyRecord(r.Key, v)
	if err != nil || s.expired(rec.storedAt) {
		return nil, false, nil
	}
	if !bytes.Equal(rec.sum, r.Sum) {
		return nil, false, store.ErrKeyReused
	}
	return bytes.Clone(rec.reply), true, nil
}

// expired reports whether a stored-at time (8 bytes) is older than the
// retention, by the store's key clock (store.KeyClock), which wall-clock
// steps do not move.
func (s *Store) expired(storedAt []byte) bool {
	return s.clock.Expired(time.Unix(0, int64(binary.BigEndian.Uint64(storedAt))), s.retention)
}

// keyOverhead approximates what bbolt spends on a remembered key besides
// its bytes: two leaf elements (the key and its time-index entry).
const keyOverhead = 32

// keyCost is the room a remembered key of klen bytes with a record of vlen
// bytes takes against MaxKeyBytes: the key twice (record and time index),
// the index's time, the record, and the elements.
func keyCost(klen, vlen int) int64 { return int64(2*klen + 8 + vlen + keyOverhead) }

// makeKeyRoom forgets the oldest keys, expired or not, until need more
// bytes fit under MaxKeyBytes: keys have their own room, and a full one
// shortens how long keys are remembered rather than refusing entries. It
// is logged (at most once a minute).
func (s *Store) makeKeyRoom(tx *bolt.Tx, need int64) error {
	if s.maxKeys <= 0 {
		return nil
	}
	used, _ := metaInt(tx, metaKeyBytes)
	if used+need <= s.maxKeys {
		return nil
	}
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	var drop [][]byte
	c := expiry.Cursor()
	for k, _ := c.First(); k != nil && used+need > s.maxKeys; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
		if v := keys.Get(k[8:]); v != nil {
			used -= keyCost(len(k)-8, len(v))
		}
	}
	for _, k := range drop {
		if err := s.forget(tx, k); err != nil {
			return err
		}
	}
	if len(drop) > 0 {
		s.evictLog.Log(context.Background(), slog.LevelWarn, "key-room", "idempotency keys forgotten before their retention: their room (max-key-bytes) is full",
			"forgotten", len(drop), "limit", s.maxKeys)
	}
	return nil
}

// forget removes the key of time-index entry k (stored-at time + key) and
// the entry, if the key's record is the one the entry describes (or is
// damaged: a key has one index entry), and takes it off the keys' room.
func (s *Store) forget(tx *bolt.Tx, k []byte) error {
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	key := k[8:]
	if v := keys.Get(key); v != nil {
		if rec, err := decodeKeyRecord(string(key), v); err != nil || bytes.Equal(rec.storedAt, k[:8]) {
			cost := keyCost(len(key), len(v))
			if err := keys.Delete(key); err != nil {
				return fmt.Errorf("prune key %q: %w", key, err)
			}
			if err := addMetaInt(tx, metaKeyBytes, -cost); err != nil {
				return err
			}
		}
	}
	if err := expiry.Delete(k); err != nil {
		return fmt.Errorf("prune index of key %q: %w", key, err)
	}
	return nil
}

// remember stores r's key with the current time, replacing an expired
// record of the same key (and its index entry).
func (s *Store) remember(tx *bolt.Tx, r store.Record) error {
	return s.rememberAt(tx, r, s.clock.Now())
}

// rememberAt is remember with the time the key was stored at (the write-ahead
// log applies keys with the time they were logged).
func (s *Store) rememberAt(tx *bolt.Tx, r store.Record, at time.Time) error {
	keys := tx.Bucket(bucketKeys)
	if old := keys.Get([]byte(r.Key)); old != nil {
		rec, err := decodeKeyRecord(r.Key, old)
		if err != nil {
			s.log.Warn("store replaced a damaged idempotency key record; its request was taken as new",
				"key", r.Key, "problem", err.Error())
			return s.replaceDamagedKey(tx, r, at, old)
		}
		if err := s.forget(tx, expiryKey(rec.storedAt, r.Key)); err != nil {
			return fmt.Errorf("drop expired key: %w", err)
		}
	}
	return s.rememberNew(tx, r, at)
}

// replaceDamagedKey forgets the damaged record old of r.Key, with its index
// entry (under the stored-at time the record holds, or found by a scan of
// the index when that time is damaged too), and remembers r.
func (s *Store) replaceDamagedKey(tx *bolt.Tx, r store.Record, at time.Time, old []byte) error {
	expiry := tx.Bucket(bucketExpiry)
	k := expiryKey(old[:min(8, len(old))], r.Key)
	if ik, _ := expiry.Cursor().Seek(k); !bytes.Equal(ik, k) {
		k = nil
		_ = expiry.ForEach(func(ik, _ []byte) error {
			if len(ik) >= 8 && string(ik[8:]) == r.Key {
				k = bytes.Clone(ik)
				return errFound
			}
			return nil
		})
	}
	if k != nil {
		if err := s.forget(tx, k); err != nil {
			return fmt.Errorf("drop damaged key: %w", err)
		}
	}
	return s.rememberNew(tx, r, at)
}

// errFound ends a ForEach that found what it looked for.
var errFound = errors.New("found")

// rememberNew stores r's key, stored at at, which the store does not hold.
func (s *Store) rememberNew(tx *bolt.Tx, r store.Record, at time.Time) error {
	keys, expiry := tx.Bucket(bucketKeys), tx.Bucket(bucketExpiry)
	v := make([]byte, 9, 9+len(r.Sum)+len(r.Reply)+4)
	cost := keyCost(len(r.Key), cap(v))
	if err := s.makeKeyRoom(tx, cost); err != nil {
		return err
	}
	if err := addMetaInt(tx, metaKeyBytes, cost); err != nil {
		return err
	}
	binary.BigEndian.PutUint64(v, uint64(at.UnixNano()))
	v[8] = byte(len(r.Sum)) | keyChecked
	v = append(append(v, r.Sum...), r.Reply...)
	v = binary.BigEndian.AppendUint32(v, store.KeyChecksum(r.Key, v))
	if err := keys.Put([]byte(r.Key), v); err != nil {
		return fmt.Errorf("remember key: %w", err)
	}
	if err := expiry.Put(expiryKey(v[:8], r.Key), nil); err != nil {
		return fmt.Errorf("index key: %w", err)
	}
	return nil
}

// pruneN removes up to limit expired idempotency keys, oldest first, and
// returns how many it removed.
func (s *Store) pruneN(tx *bolt.Tx, limit int) (int, error) {
	expiry := tx.Bucket(bucketExpiry)
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
		// The key may have been stored again since; forget drops only the
		// record this index entry describes.
		if err := s.forget(tx, k); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

// pruneAll removes every expired idempotency key and returns how many it
// removed. Appends already prune more keys than they add, so the service
// needs no sweep; tests use it to see what is expired.
func (s *Store) pruneAll(ctx context.Context) (int, error) {
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

// expiryKey is the time index key of key stored at storedAt (8 bytes).
func expiryKey(storedAt []byte, key string) []byte {
	k := make([]byte, 0, 8+len(key))
	return append(append(k, storedAt...), key...)
}

// ScanKeys calls fn for each remembered idempotency key, expired ones not
// yet pruned included (StoredAt tells them apart), in key order. Like Scan,
// it copies the keys out a page at a time, so fn may take as long as it
// likes and the keys are never all in memory. A key record that cannot be
// decoded is an error wrapping ErrDamaged.
func (s *Store) ScanKeys(ctx context.Context, fn func(store.RememberedKey) error) error {
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("store: scan keys: %w", err)
		}
		page, err := s.readKeys(ctx, after)
		if err != nil {
			return fmt.Errorf("store: scan keys: %w", err)
		}
		for _, k := range page {
			if err := fn(k); err != nil {
				return err
			}
		}
		if len(page) < s.scanPage {
			return nil
		}
		after = []byte(page[len(page)-1].Key)
	}
}

// readKeys copies up to s.scanPage keys that sort after after (nil: from
// the first).
func (s *Store) readKeys(ctx context.Context, after []byte) ([]store.RememberedKey, error) {
	var page []store.RememberedKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		if b == nil {
			return nil // a file opened read-only that never had keys
		}
		c := b.Cursor()
		k, v := c.First()
		if after != nil {
			if k, v = c.Seek(after); bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		for ; k != nil && len(page) < s.scanPage; k, v = c.Next() {
			rec, err := decodeKeyRecord(string(k), v)
			if err != nil {
				s.log.Warn("store skipped a damaged idempotency key record", "key", string(k), "problem", err.Error())
				continue
			}
			page = append(page, store.RememberedKey{Key: string(k), Sum: bytes.Clone(rec.sum), Reply: bytes.Clone(rec.reply),
				StoredAt: time.Unix(0, int64(binary.BigEndian.Uint64(rec.storedAt)))})
		}
		return nil
	})
	return page, err
}
