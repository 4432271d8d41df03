package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/analytics-client/analytics/internal/store"
)

// A batch is what one group commit of the Logged store writes to the log:
// the records it stores (entries, keys, or both) and the time its keys were
// stored at. The log frames and checksums it (internal/recordio); its
// payload is:
//
//	at      int64, big-endian Unix nanoseconds
//	count   uvarint
//	count × { kind byte, flags byte (1: data, 2: key), then, each as
//	          uvarint length + bytes: data, key, sum, reply }

// batch is one decoded log record.
type batch struct {
	lsn  uint64
	at   int64
	recs []store.Record
	// bytes is the room its entries take (store.EntryOverhead included)
	// and counts its entries by kind: what Count and UsedBytes add for a
	// batch bbolt does not hold yet.
	bytes  int64
	counts [store.Snapshots + 1]int
	// size is the encoded record's length, which its records' bytes
	// share: what the batch holds in memory until it is applied.
	size int64
}

const (
	flagData = 1 << iota
	flagKey
)

var errBadBatch = errors.New("a log record that does not decode")

// appendBatch encodes recs logged at at onto dst.
func appendBatch(dst []byte, at int64, recs []store.Record) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for _, r := range recs {
		var flags byte
		if r.Data != nil {
			flags |= flagData
		}
		if r.Key != "" {
			flags |= flagKey
		}
		dst = append(dst, byte(r.Kind), flags)
		for _, b := range [][]byte{r.Data, []byte(r.Key), r.Sum, r.Reply} {
			dst = binary.AppendUvarint(dst, uint64(len(b)))
			dst = append(dst, b...)
		}
	}
	return dst
}

// decodeBatch decodes a payload of appendBatch; the records alias p.
func decodeBatch(lsn uint64, p []byte) (*batch, error) {
	fail := func(what string) (*batch, error) {
		return nil, fmt.Errorf("%w (record %d: %s)", errBadBatch, lsn, what)
	}
	if len(p) < 8 {
		return fail("short header")
	}
	b := &batch{lsn: lsn, at: int64(binary.BigEndian.Uint64(p)), size: int64(len(p))}
	p = p[8:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return fail("bad count")
	}
	p = p[k:]
	b.recs = make([]store.Record, 0, n)
	for range n {
		if len(p) < 2 {
			return fail("short record")
		}
		r := store.Record{Kind: store.Kind(p[0])}
		flags := p[1]
		p = p[2:]
		var parts [4][]byte
		for i := range parts {
			l, k := binary.Uvarint(p)
			if k <= 0 || l > uint64(len(p)-k) {
				return fail("bad length")
			}
			parts[i], p = p[k:k+int(l):k+int(l)], p[k+int(l):]
		}
		if flags&^(flagData|flagKey) != 0 || (flags&flagData == 0 && len(parts[0]) > 0) || (flags&flagKey == 0 && len(parts[1]) > 0) {
			return fail("bad flags")
		}
		if flags&flagData != 0 {
			r.Data = parts[0]
		}
		if flags&flagKey != 0 {
			r.Key = string(parts[1])
		}
		r.Sum, r.Reply = parts[2], parts[3]
		if err := store.CheckRecord(r); err != nil || (r.Data == nil && r.Key == "") {
			return fail("bad record")
		}
		if r.Data != nil {
			b.bytes += entryCost(len(r.Data))
			b.counts[r.Kind]++
		}
		b.recs = append(b.recs, r)
	}
	if len(p) != 0 {
		return fail("trailing bytes")
	}
	return b, nil
}
