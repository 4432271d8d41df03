package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/analytics-client/analytics/internal/recordio"
)

// MaxRecordSize is the largest record data Append accepts.
const MaxRecordSize = 1 << 20

const (
	segMagic        = "ANSPSEG1"
	segHeaderSize   = 16
	frameHeaderSize = recordio.HeaderSize + frameFixed
	frameFixed      = 16 // the record's ID and append time
	ackEntrySize    = 12
	segExt          = ".seg"
	ackExt          = ".ack"
	lockName        = "LOCK"
	nameDigits      = 20
)

// frameFormat frames the records of a segment: recordio's frame with the
// record's ID and append time (UnixNano), little-endian, as its fixed part.
var frameFormat = recordio.Format{Fixed: frameFixed, MaxLen: MaxRecordSize}

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
	var fixed [frameFixed]byte
	binary.LittleEndian.PutUint64(fixed[0:8], id)
	binary.LittleEndian.PutUint64(fixed[8:16], uint64(at))
	return frameFormat.Append(dst, fixed[:], data)
}

// frameSize is the size on disk of a record with n bytes of data.
func frameSize(n int) int64 { return frameFormat.Size(n) }

// appendAckEntry appends the ack entry of id to dst.
func appendAckEntry(dst []byte, id uint64) []byte {
	off := len(dst)
	dst = binary.LittleEndian.AppendUint64(dst, id)
	return binary.LittleEndian.AppendUint32(dst, recordio.Checksum(dst[off:]))
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
	fixed, data, size, err := frameFormat.Decode(b)
	switch {
	case errors.Is(err, recordio.ErrShort):
		return frame{}, 0, "incomplete record"
	case errors.Is(err, recordio.ErrTooLong):
		return frame{}, 0, fmt.Sprintf("record length %d exceeds the maximum", binary.LittleEndian.Uint32(b))
	case errors.Is(err, recordio.ErrChecksum):
		return frame{}, 0, "checksum mismatch"
	case err != nil:
		return frame{}, 0, err.Error()
	}
	id := binary.LittleEndian.Uint64(fixed[0:8])
	if id <= prev {
		return frame{}, 0, fmt.Sprintf("record id %d not after %d", id, prev)
	}
	return frame{id: id, at: int64(binary.LittleEndian.Uint64(fixed[8:16])), data: data}, size, ""
}
