package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Every stored entry carries a CRC-32C checksum of its sequence number and
// its data, written with it and verified on every read, so that an entry
// the storage altered (a flipped bit, a torn page, a value moved under
// another sequence number) is never served or uploaded as data.

// castagnoli is the CRC-32C table (hardware-accelerated where the CPU has it).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is the CRC-32C of an entry: its sequence number (8 bytes,
// big-endian) followed by its data. Both engines store it with the entry.
func Checksum(seq uint64, data []byte) uint32 {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return crc32.Update(crc32.Checksum(k[:], castagnoli), castagnoli, data)
}

// KeyChecksum is the CRC-32C of an idempotency key's stored record: the key
// followed by the record's bytes before the checksum. boltstore keeps it at
// the end of each record, so that a damaged one is replaced rather than
// answered from.
func KeyChecksum(key string, rec []byte) uint32 {
	return crc32.Update(crc32.Checksum([]byte(key), castagnoli), castagnoli, rec)
}

// EntryVersion1 is the first byte of an entry value in the versioned record
// format: the version byte, the checksum (4 bytes, big-endian), then the
// data. Entries from before the format (version 0) are bare JSON, which
// never starts with this byte.
const EntryVersion1 = 0x01

// entryHeader is the bytes before the data in a version 1 value.
const entryHeader = 5

// EncodeEntry returns the version 1 value of entry seq.
func EncodeEntry(seq uint64, data []byte) []byte {
	v := make([]byte, entryHeader, entryHeader+len(data))
	v[0] = EntryVersion1
	binary.BigEndian.PutUint32(v[1:], Checksum(seq, data))
	return append(v, data...)
}

// DecodeEntry returns the data of the stored value v of entry seq of kind, checking
// its checksum. legacy allows version 0 values (bare data, unchecked): a
// store that has not upgraded every value yet. The data shares v's memory.
func DecodeEntry(kind Kind, seq uint64, v []byte, legacy bool) ([]byte, error) {
	if len(v) == 0 || v[0] != EntryVersion1 {
		if legacy && len(v) > 0 {
			return v, nil
		}
		return nil, &ChecksumError{Kind: kind, Seq: seq, Problem: "not a version 1 record"}
	}
	if len(v) < entryHeader {
		return nil, &ChecksumError{Kind: kind, Seq: seq, Problem: fmt.Sprintf("a record of %d bytes", len(v))}
	}
	data := v[entryHeader:]
	if want, got := binary.BigEndian.Uint32(v[1:]), Checksum(seq, data); want != got {
		return nil, &ChecksumError{Kind: kind, Seq: seq, Problem: fmt.Sprintf("checksum %08x, the data sums to %08x", want, got)}
	}
	return data, nil
}

// ChecksumError is an entry whose stored checksum does not match its data:
// it is damaged, and set aside (quarantined) rather than served.
type ChecksumError struct {
	Kind    Kind
	Seq     uint64
	Problem string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("store: %s entry %d is damaged: %s", e.Kind.Collection(), e.Seq, e.Problem)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *ChecksumError) Is(target error) bool { return target == ErrDamaged }

// Quarantiner is implemented by stores that set damaged entries aside
// (both engines): Quarantined is how many entries failed their checksum
// and were moved out of the collections, never to be served, uploaded or
// deleted by a check-in. The service shows it in /status and its metrics.
type Quarantiner interface {
	Quarantined(ctx context.Context) (int64, error)
}
