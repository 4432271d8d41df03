package spool

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
	"strconv"
	"strings"
)

// MaxRecordSize is the largest record data Append accepts.
const MaxRecordSize = 1 << 20

const (
	segMagic        = "ANSPSEG1"
	segHeaderSize   = 16
	frameHeaderSize = 24
	ackEntrySize    = 12
	segExt          = ".seg"
	ackExt          = ".ack"
	lockName        = "LOCK"
	nameDigits      = 20
)

// crc returns the CRC-32C of the concatenation of parts.
func crc(parts ...[]byte) uint32 {
	tab := crc32.MakeTable(crc32.Castagnoli) // cached by the standard library
	var sum uint32
	for _, p := range parts {
		sum = crc32.Update(sum, tab, p)
	}
	return sum
}

// segName returns the file name of the segment whose first ID is base.
func segName(base uint64) string {
	return fmt.Sprintf("%0*d%s", nameDigits, base, segExt)
}

// ackName returns the file name of the ack file of the segment base.
func ackName(base uint64) string {
	return fmt.Sprintf("%0*d%s", nameDigits, base, ackExt)
}

// parseName returns the base ID and extension of a segment or ack file name.
func parseName(name string) (base uint64, ext string, ok bool) {
	ext = filepath.Ext(name)
	if ext != segExt && ext != ackExt {
		return 0, "", false
	}
	digits := strings.TrimSuffix(name, ext)
	if len(digits) != nameDigits {
		return 0, "", false
	}
	base, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || base == 0 {
		return 0, "", false
	}
	return base, ext, true
}

// appendSegHeader appends the header of the segment base to dst.
func appendSegHeader(dst []byte, base uint64) []byte {
	dst = append(dst, segMagic...)
	return binary.LittleEndian.AppendUint64(dst, base)
}

// appendFrame appends one framed record to dst.
func appendFrame(dst []byte, id uint64, at int64, data []byte) []byte {
	off := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint64(dst, id)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(at))
	dst = append(dst, data...)
	binary.LittleEndian.PutUint32(dst[off+4:], crc(dst[off:off+4], dst[off+8:]))
	return dst
}

// frameSize is the size on disk of a record with n bytes of data.
func frameSize(n int) int64 { return frameHeaderSize + int64(n) }

// appendAckEntry appends the ack entry of id to dst.
func appendAckEntry(dst []byte, id uint64) []byte {
	off := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, id)
	return binary.LittleEndian.AppendUint32(dst, crc(dst[off:]))
}

// frame is one record decoded from a segment.
type frame struct {
	id   uint64
	at   int64
	data []byte // aliases the segment buffer
	off  int64  // offset of the frame in the segment
}

// scan is the outcome of reading a segment's bytes.
type scan struct {
	frames []frame
	// end is the offset just past the last valid frame (or header).
	end int64
	// damage is empty when the whole buffer is valid; otherwise it says
	// why the bytes at end could not be read.
	damage string
}

// scanSegment decodes the segment base from buf, stopping at the first
// damaged or incomplete frame. It never fails: damage is reported in the
// result for the caller to log and act on.
func scanSegment(buf []byte, base uint64) scan {
	if len(buf) < segHeaderSize {
		return scan{damage: "incomplete segment header"}
	}
	if string(buf[:8]) != segMagic || binary.LittleEndian.Uint64(buf[8:16]) != base {
		return scan{damage: "bad segment header"}
	}
	s := scan{end: segHeaderSize}
	prev := base - 1
	for off := int64(segHeaderSize); off < int64(len(buf)); {
		f, n, damage := decodeFrame(buf[off:], prev)
		if damage != "" {
			s.damage = damage
			return s
		}
		f.off = off
		s.frames = append(s.frames, f)
		prev = f.id
		off += n
		s.end = off
	}
	return s
}

// decodeFrame decodes the frame at the start of b, whose ID must be greater
// than prev. It returns the frame and its size, or a description of the
// damage.
func decodeFrame(b []byte, prev uint64) (frame, int64, string) {
	if len(b) < frameHeaderSize {
		return frame{}, 0, "incomplete record header"
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	if n > MaxRecordSize {
		return frame{}, 0, fmt.Sprintf("record length %d exceeds the maximum", n)
	}
	size := frameSize(int(n))
	if int64(len(b)) < size {
		return frame{}, 0, "incomplete record"
	}
	if crc(b[0:4], b[8:size]) != binary.LittleEndian.Uint32(b[4:8]) {
		return frame{}, 0, "checksum mismatch"
	}
	id := binary.LittleEndian.Uint64(b[8:16])
	if id <= prev {
		return frame{}, 0, fmt.Sprintf("record id %d not after %d", id, prev)
	}
	return frame{
		id:   id,
		at:   int64(binary.LittleEndian.Uint64(b[16:24])),
		data: b[frameHeaderSize:size:size],
	}, size, ""
}
