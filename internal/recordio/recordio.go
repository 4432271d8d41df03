// Package recordio frames records for append-only logs: each record carries
// its length and a CRC-32C, so a reader finds where the valid records of a
// file end (a torn or never-written tail, stale bytes of a recycled file)
// without trusting anything it has not checked.
//
// A frame is laid out, little-endian:
//
//	length   uint32  bytes of data (the variable part)
//	checksum uint32  CRC-32C of length, fixed and data
//	fixed    [Format.Fixed]byte  a header of the caller's own (IDs, times)
//	data     [length]byte
//
// The fixed part lets a log keep its per-record header (a sequence number, a
// generation) under the same checksum without counting it in the length.
// The store's write-ahead log (internal/store/wal) uses it with a 16-byte
// fixed part; the reporter's spool (internal/spool) frames its records with
// it too, with the record's ID and append time as the fixed part.
package recordio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// HeaderSize is the bytes a frame adds before its fixed part.
const HeaderSize = 8

// Errors of Decode. Each means that the valid records end before b.
var (
	// ErrShort is a frame cut off by the end of the buffer.
	ErrShort = errors.New("recordio: incomplete record")
	// ErrTooLong is a length above Format.MaxLen: not a frame.
	ErrTooLong = errors.New("recordio: record length exceeds the maximum")
	// ErrChecksum is a frame whose checksum does not match its bytes.
	ErrChecksum = errors.New("recordio: checksum mismatch")
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum returns the CRC-32C of the concatenation of parts.
func Checksum(parts ...[]byte) uint32 {
	var sum uint32
	for _, p := range parts {
		sum = crc32.Update(sum, castagnoli, p)
	}
	return sum
}

// Format is one log's framing: the size of its fixed part and the longest
// data it accepts.
type Format struct {
	// Fixed is the size of the fixed part of every frame.
	Fixed int
	// MaxLen is the longest data a frame may carry; a larger length is
	// read as damage (ErrTooLong).
	MaxLen uint32
}

// Size is the bytes a frame with n bytes of data takes.
func (f Format) Size(n int) int64 { return int64(HeaderSize + f.Fixed + n) }

// Append appends the frame of fixed (exactly f.Fixed bytes) and data to dst.
// It panics on a fixed part of the wrong size or data longer than MaxLen:
// both are the caller's bugs.
func (f Format) Append(dst, fixed, data []byte) []byte {
	if len(fixed) != f.Fixed || uint64(len(data)) > uint64(f.MaxLen) {
		panic(fmt.Sprintf("recordio: frame of %d+%d bytes in a format of %d+%d", len(fixed), len(data), f.Fixed, f.MaxLen))
	}
	off := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = append(append(dst, fixed...), data...)
	binary.LittleEndian.PutUint32(dst[off+4:], Checksum(dst[off:off+4], dst[off+HeaderSize:]))
	return dst
}

// Decode reads the frame at the start of b and returns its fixed part, its
// data (both alias b) and its size. An error (ErrShort, ErrTooLong,
// ErrChecksum) means b does not start with a valid frame.
func (f Format) Decode(b []byte) (fixed, data []byte, size int64, err error) {
	if len(b) < HeaderSize+f.Fixed {
		return nil, nil, 0, ErrShort
	}
	n := binary.LittleEndian.Uint32(b)
	if n > f.MaxLen {
		return nil, nil, 0, fmt.Errorf("%w: %d bytes", ErrTooLong, n)
	}
	size = f.Size(int(n))
	if int64(len(b)) < size {
		return nil, nil, 0, ErrShort
	}
	if Checksum(b[0:4], b[HeaderSize:size]) != binary.LittleEndian.Uint32(b[4:8]) {
		return nil, nil, 0, ErrChecksum
	}
	end := HeaderSize + f.Fixed
	return b[HeaderSize:end:end], b[end:size:size], size, nil
}
