package spool

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeRecords fills a new spool in dir with records "r1".."rN" and closes it.
func writeRecords(t *testing.T, dir string, n int, opts Options) {
	t.Helper()
	s := mustOpen(t, dir, opts)
	for i := 1; i <= n; i++ {
		mustAppend(t, s, fmt.Sprintf("r%d", i))
	}
	mustClose(t, s)
}

// recOff is the offset of the i-th (1-based) 2-byte record in a segment.
func recOff(i int) int64 { return segHeaderSize + int64(i-1)*frameSize(2) }

// damage edits the file at path.
func damage(t *testing.T, path string, edit func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRecoverDamagedTail(t *testing.T) {
	garbage := make([]byte, 100)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	tests := []struct {
		name    string
		edit    func(b []byte) []byte
		keep    []uint64
		offset  int64
		warning string
	}{
		{"torn record", func(b []byte) []byte { return b[:recOff(5)+frameHeaderSize+1] },
			seq(1, 4), recOff(5), "incomplete record"},
		{"torn record header", func(b []byte) []byte { return b[:recOff(5)+5] },
			seq(1, 4), recOff(5), "incomplete record"},
		{"garbage tail", func(b []byte) []byte { return append(b, garbage...) },
			seq(1, 5), recOff(6), ""},
		{"zero tail", func(b []byte) []byte { return append(b, make([]byte, 64)...) },
			seq(1, 5), recOff(6), ""},
		{"checksum flip in last record", func(b []byte) []byte { b[recOff(5)+frameHeaderSize] ^= 0x01; return b },
			seq(1, 4), recOff(5), "checksum mismatch"},
		{"torn segment header", func(b []byte) []byte { return b[:7] },
			nil, 0, "incomplete segment header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRecords(t, dir, 5, Options{})
			path := filepath.Join(dir, segName(1))
			damage(t, path, tt.edit)

			var logs logBuffer
			s := mustOpen(t, dir, Options{Logger: logs.logger()})
			if got, w := pendingStrings(s), want(tt.keep...); !slices.Equal(got, w) {
				t.Fatalf("Pending = %v, want %v", got, w)
			}
			warn := fmt.Sprintf("offset=%d", tt.offset)
			if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, warn) ||
				!strings.Contains(l, tt.warning) {
				t.Fatalf("log %q lacks a WARN with %s and %q", l, warn, tt.warning)
			}
			if fi, err := os.Stat(path); err != nil || fi.Size() != max(tt.offset, segHeaderSize) {
				t.Fatalf("segment after recovery: %v, %v; want it truncated to %d", fi.Size(), err, tt.offset)
			}

			// New records follow the valid data, with IDs never handed out.
			if id := mustAppend(t, s, "r6"); id != 6 {
				t.Fatalf("Append after recovery = %d, want 6", id)
			}
			mustClose(t, s)
			s = mustOpen(t, dir, Options{})
			if got, w := pendingStrings(s), want(append(tt.keep, 6)...); !slices.Equal(got, w) {
				t.Fatalf("Pending after second reopen = %v, want %v", got, w)
			}
		})
	}
}

func TestRecoverDamageInOlderSegment(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: segHeaderSize + 2*frameSize(2)}
	writeRecords(t, dir, 6, opts) // segments [1 2] [3 4] [5 6]
	path := filepath.Join(dir, segName(3))
	// Damage record 3, the first of the middle segment.
	damage(t, path, func(b []byte) []byte { b[recOff(1)+frameHeaderSize+1] ^= 0x80; return b })

	var logs logBuffer
	s := mustOpen(t, dir, Options{Logger: logs.logger()})
	if got, w := pendingStrings(s), want(1, 2, 5, 6); !slices.Equal(got, w) {
		t.Fatalf("Pending = %v, want %v", got, w)
	}
	l := logs.String()
	if !strings.Contains(l, "level=WARN") || !strings.Contains(l, "skipping the rest of the segment") ||
		!strings.Contains(l, segName(3)) || !strings.Contains(l, fmt.Sprintf("offset=%d", recOff(1))) {
		t.Fatalf("log %q lacks a WARN naming %s and the offset", l, segName(3))
	}
	if got, w := segFiles(t, dir), []string{segName(1), segName(5)}; !slices.Equal(got, w) {
		t.Fatalf("segments = %v, want the unreadable one removed: %v", got, w)
	}
	if id := mustAppend(t, s, "r7"); id != 7 {
		t.Fatalf("Append = %d, want 7", id)
	}
}

func TestRecoverDamageMidOlderSegmentKeepsPrefix(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: segHeaderSize + 2*frameSize(2)}
	writeRecords(t, dir, 6, opts)
	// Damage record 4, the second of the middle segment.
	damage(t, filepath.Join(dir, segName(3)), func(b []byte) []byte { b[recOff(2)+9] ^= 0xff; return b })
	s := mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(1, 2, 3, 5, 6); !slices.Equal(got, w) {
		t.Fatalf("Pending = %v, want %v", got, w)
	}
}

func TestRecoverAckFiles(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: segHeaderSize + 2*frameSize(2)}
	writeRecords(t, dir, 6, opts)

	// A crash between writing the last acks of segment 1 and deleting
	// it; a crash after deleting segment 99 but not its ack file; a torn
	// entry after two good ones in segment 3; a damaged entry for 6.
	write := func(base uint64, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, ackName(base)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(1, appendAckEntry(appendAckEntry(nil, 1), 2))
	write(99, appendAckEntry(nil, 99))
	write(3, append(appendAckEntry(nil, 4), 0x01, 0x02, 0x03))
	bad := appendAckEntry(nil, 6)
	bad[9] ^= 1
	write(5, bad)

	var logs logBuffer
	s := mustOpen(t, dir, Options{Logger: logs.logger()})
	if got, w := pendingStrings(s), want(3, 5, 6); !slices.Equal(got, w) {
		t.Fatalf("Pending = %v, want %v", got, w)
	}
	for _, name := range []string{segName(1), ackName(1), ackName(99)} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s after recovery: %v, want it removed", name, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, ackName(3))); err != nil || fi.Size() != ackEntrySize {
		t.Errorf("ack file with a torn entry: %v, want it truncated to one entry", err)
	}
	if l := logs.String(); !strings.Contains(l, "torn ack entry") || !strings.Contains(l, "damaged ack entry") {
		t.Errorf("log %q lacks the ack file warnings", l)
	}
	// Acks appended after a truncated torn entry are read back.
	if err := s.Ack(3); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(5, 6); !slices.Equal(got, w) {
		t.Fatalf("Pending after acknowledging 3 = %v, want %v", got, w)
	}
}

func TestRecoverMissingIDBound(t *testing.T) {
	dir := t.TempDir()
	writeRecords(t, dir, 3, Options{})
	if err := os.Remove(filepath.Join(dir, idsName)); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	s := mustOpen(t, dir, Options{Logger: logs.logger()})
	if id := mustAppend(t, s, "x"); id <= 3+idBlock {
		t.Fatalf("Append without an ID bound = %d, want a jump past IDs possibly handed out", id)
	}
	if !strings.Contains(logs.String(), "ID bound missing") {
		t.Fatalf("log %q lacks the warning", logs.String())
	}
}

func FuzzScanSegment(f *testing.F) {
	seg := appendSegHeader(nil, 5)
	seg = appendFrame(seg, 5, 1, []byte("hello"))
	seg = appendFrame(seg, 7, 2, nil)
	f.Add(seg)
	f.Add(seg[:len(seg)-3])
	f.Add(append(slices.Clone(seg), 0xff, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		sc := scanSegment(b, 5)
		if sc.end > int64(len(b)) || (sc.damage == "" && sc.end != int64(len(b))) ||
			(sc.damage != "" && sc.end == int64(len(b)) && len(b) >= segHeaderSize) {
			t.Fatalf("end %d of %d bytes with damage %q", sc.end, len(b), sc.damage)
		}
		if sc.end == 0 {
			return
		}
		// The valid part re-encodes to the same bytes.
		out := appendSegHeader(nil, 5)
		for _, fr := range sc.frames {
			out = appendFrame(out, fr.id, fr.at, fr.data)
		}
		if !slices.Equal(out, b[:sc.end]) {
			t.Fatalf("re-encoding %d frames differs from the %d valid bytes", len(sc.frames), sc.end)
		}
	})
}
