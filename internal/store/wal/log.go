package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/recordio"
	"github.com/analytics-client/analytics/internal/store"
)

// DefaultSegmentSize is Options.SegmentSize when it is zero.
const DefaultSegmentSize = 8 << 20

// keepFree is how many free segments the log keeps for reuse; it removes
// the others, so a burst that needed many segments does not keep their room.
const keepFree = 2

const (
	segExt   = ".wal"
	tmpExt   = ".tmp"
	segMagic = "ANWALSG1"
	// fixedSize is the per-frame header: LSN and generation.
	fixedSize = 16
	zeroChunk = 1 << 20
)

var format = recordio.Format{Fixed: fixedSize, MaxLen: 1<<31 - 1}

// headerSize is the size of a segment's header frame.
var headerSize = format.Size(len(segMagic))

// ErrBroken is in the chain of every Append error after a write or sync of
// the log failed: what reached the disk is then unknown, so the log takes
// no more records until it is opened again.
var ErrBroken = errors.New("wal: a write to the log failed earlier")

// Options configure a Log. The zero value is usable.
type Options struct {
	// SegmentSize is the size of each segment file; zero means
	// DefaultSegmentSize. A record larger than a segment gets a segment of
	// its own, removed once trimmed.
	SegmentSize int64
	// Logger receives the log's logs; nil discards them.
	Logger *slog.Logger
}

// Log is a write-ahead log. Append is called by one goroutine at a time
// (it serializes callers); Trim may be called concurrently with it.
type Log struct {
	fs      logfs.FS
	size    int64
	log     *slog.Logger
	writeMu sync.Mutex // serializes Append
	// Guarded by writeMu: the segment being written and what follows.
	active  *segment
	nextLSN uint64
	err     error // sticky failure of a write or sync
	buf     []byte

	mu       sync.Mutex // guards the lists below and the counters
	full     []*segment // written, waiting for Trim, in LSN order
	free     []*segment // trimmed, ready for reuse
	nextGen  uint64
	nextFile uint64
	closed   bool
}

// segment is one open segment file.
type segment struct {
	name        string
	f           logfs.File
	size        int64
	gen         uint64
	first, last uint64 // LSNs of its records; last is 0 while it has none
	off         int64  // where the next record goes
}

// Open opens the log in fsys (creating its first segments if there are
// none) and calls replay, in order, for each record with an LSN above
// after. Before the log reuses the replayed records' segments, the owner
// must make them durable elsewhere and then call Trim(Last()). An error
// from replay stops Open and is returned; replay may be nil for a log known
// to hold nothing after after (Open fails if it does).
func Open(fsys logfs.FS, opts Options, after uint64, replay func(lsn uint64, payload []byte) error) (*Log, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.SegmentSize < headerSize+format.Size(0) {
		return nil, fmt.Errorf("wal: segment size %d is too small", opts.SegmentSize)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if replay == nil {
		replay = func(lsn uint64, _ []byte) error {
			return fmt.Errorf("wal: record %d to replay and no replay function", lsn)
		}
	}
	l := &Log{fs: fsys, size: opts.SegmentSize, log: opts.Logger, nextLSN: after + 1}
	segs, err := l.load()
	if err != nil {
		l.closeAll(segs)
		return nil, err
	}
	if err := l.replay(segs, after, replay); err != nil {
		l.closeAll(segs)
		return nil, err
	}
	for len(l.free)+len(l.full) < keepFree {
		s, err := l.create(l.size)
		if err != nil {
			_ = l.Close()
			return nil, err
		}
		l.free = append(l.free, s)
	}
	return l, nil
}

// load opens and reads every segment, sorted by generation. Segments with
// no valid header go to the free list.
func (l *Log) load() ([]*loaded, error) {
	names, err := l.fs.List()
	if err != nil {
		return nil, fmt.Errorf("wal: list: %w", err)
	}
	var segs []*loaded
	for _, name := range names {
		if strings.HasSuffix(name, tmpExt) {
			// A segment whose creation did not finish.
			if err := l.fs.Remove(name); err != nil {
				return segs, fmt.Errorf("wal: remove %s: %w", name, err)
			}
			continue
		}
		var num uint64
		if _, err := fmt.Sscanf(name, "%016x"+segExt, &num); err != nil || name != segName(num) {
			continue
		}
		l.nextFile = max(l.nextFile, num+1)
		ld, err := l.read(name)
		if err != nil {
			return segs, err
		}
		if ld.gen == 0 {
			l.free = append(l.free, &ld.segment)
			continue
		}
		l.nextGen = max(l.nextGen, ld.gen+1)
		segs = append(segs, ld)
	}
	slices.SortFunc(segs, func(a, b *loaded) int { return compare(a.gen, b.gen) })
	if l.nextGen == 0 {
		l.nextGen = 1
	}
	return segs, nil
}

func compare(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// loaded is a segment as Open read it.
type loaded struct {
	segment
	recs []record
}

// record is one record read from a segment.
type record struct {
	lsn     uint64
	payload []byte
}

// read opens the segment name and decodes its records. A segment with no
// valid header has gen 0.
func (l *Log) read(name string) (*loaded, error) {
	f, err := l.fs.Open(name)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", name, err)
	}
	size, err := f.Size()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("wal: open %s: %w", name, err)
	}
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("wal: read %s: %w", name, err)
	}
	ld := &loaded{segment: segment{name: name, f: f, size: size}}
	decodeSegment(ld, buf)
	return ld, nil
}

// decodeSegment reads a segment's header and records from buf into ld; a
// segment with no valid header keeps gen 0.
func decodeSegment(ld *loaded, buf []byte) {
	fixed, data, n, err := format.Decode(buf)
	if err != nil || !bytes.Equal(data, []byte(segMagic)) {
		return
	}
	ld.gen, ld.first = binary.LittleEndian.Uint64(fixed[8:]), binary.LittleEndian.Uint64(fixed)
	for off, want := n, ld.first; ; want++ {
		fixed, payload, n, err := format.Decode(buf[off:])
		if err != nil || binary.LittleEndian.Uint64(fixed) != want || binary.LittleEndian.Uint64(fixed[8:]) != ld.gen {
			ld.off = off
			return
		}
		ld.recs = append(ld.recs, record{lsn: want, payload: payload})
		ld.last = want
		off += n
	}
}

// Newest returns the LSN of the newest record of the log in dir, 0 when it
// holds none or there is no such directory. It only reads, so that a
// command on a stopped service's store (a check, a migration) can learn
// whether the log holds anything the file lacks without writing either.
func Newest(dir string) (uint64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var newest uint64
	for _, e := range entries {
		var num uint64
		if _, err := fmt.Sscanf(e.Name(), "%016x"+segExt, &num); err != nil || e.Name() != segName(num) {
			continue
		}
		buf, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, fmt.Errorf("wal: read %s: %w", e.Name(), err)
		}
		ld := &loaded{}
		decodeSegment(ld, buf)
		if ld.gen != 0 {
			newest = max(newest, ld.last)
		}
	}
	return newest, nil
}

// replay hands the records after after to fn in LSN order and files the
// segments as full, to be trimmed once the owner has applied them.
func (l *Log) replay(segs []*loaded, after uint64, fn func(uint64, []byte) error) error {
	next := after + 1
	for _, s := range segs {
		for _, r := range s.recs {
			if r.lsn < next {
				continue
			}
			if r.lsn > next {
				return fmt.Errorf("wal: %w: records %d to %d are missing from the log (segment %s starts at %d)",
					store.ErrDamaged, next, r.lsn-1, s.name, s.first)
			}
			if err := fn(r.lsn, r.payload); err != nil {
				return err
			}
			next++
		}
		s.recs = nil
		l.full = append(l.full, &s.segment)
	}
	l.nextLSN = next
	return nil
}

// closeAll closes segments Open read when it fails.
func (l *Log) closeAll(segs []*loaded) {
	for _, s := range segs {
		_ = s.f.Close()
	}
	for _, s := range l.free {
		_ = s.f.Close()
	}
}

func segName(num uint64) string { return fmt.Sprintf("%016x%s", num, segExt) }

// Last is the LSN of the last record appended (or replayed).
func (l *Log) Last() uint64 {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	return l.nextLSN - 1
}

// Append writes payload as the next record, syncs it, and returns its LSN.
// After a failed write or sync every Append fails with ErrBroken.
func (l *Log) Append(payload []byte) (uint64, error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.err != nil {
		return 0, fmt.Errorf("%w: %w", ErrBroken, l.err)
	}
	lsn := l.nextLSN
	need := format.Size(len(payload))
	l.buf = l.buf[:0]
	if l.active == nil || l.active.off+need > l.active.size {
		if err := l.rotate(lsn, need); err != nil {
			return 0, err
		}
		l.buf = format.Append(l.buf, fixed(lsn, l.active.gen), []byte(segMagic))
	}
	s := l.active
	at := s.off - int64(len(l.buf))
	l.buf = format.Append(l.buf, fixed(lsn, s.gen), payload)
	if _, err := s.f.WriteAt(l.buf, at); err != nil {
		l.err = err
		return 0, fmt.Errorf("wal: write %s: %w", s.name, err)
	}
	if err := s.f.Sync(); err != nil {
		l.err = err
		return 0, fmt.Errorf("wal: sync %s: %w", s.name, err)
	}
	s.off += need
	s.last = lsn
	l.nextLSN++
	return lsn, nil
}

func fixed(lsn, gen uint64) []byte {
	var b [fixedSize]byte
	binary.LittleEndian.PutUint64(b[:], lsn)
	binary.LittleEndian.PutUint64(b[8:], gen)
	return b[:]
}

// rotate files the active segment as full and makes a free one (or a new
// one) active for records from lsn on, with room for need bytes after its
// header. The header is written with the first record, under its sync.
func (l *Log) rotate(lsn uint64, need int64) error {
	l.mu.Lock()
	if l.active != nil {
		l.full = append(l.full, l.active)
		l.active = nil
	}
	var s *segment
	for i := len(l.free) - 1; i >= 0; i-- { // the last freed first: its pages are the likeliest cached
		if l.free[i].size >= headerSize+need {
			s = l.free[i]
			l.free = slices.Delete(l.free, i, i+1)
			break
		}
	}
	gen := l.nextGen
	l.nextGen++
	l.mu.Unlock()
	if s == nil {
		var err error
		// A failed creation (no room for the segment) leaves nothing
		// unknown on disk: the next Append tries again.
		if s, err = l.create(max(l.size, roundUp(headerSize+need, 4096))); err != nil {
			return err
		}
	}
	s.gen, s.first, s.last, s.off = gen, lsn, 0, headerSize
	l.active = s
	return nil
}

func roundUp(n, to int64) int64 { return (n + to - 1) / to * to }

// create makes a zero-filled segment of size bytes: written in full and
// synced under a temporary name, then renamed, and the directory synced.
func (l *Log) create(size int64) (*segment, error) {
	l.mu.Lock()
	name := segName(l.nextFile)
	l.nextFile++
	l.mu.Unlock()
	tmp := name + tmpExt
	f, err := l.fs.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("wal: create %s: %w", tmp, err)
	}
	fail := func(err error) (*segment, error) {
		_ = f.Close()
		_ = l.fs.Remove(tmp)
		return nil, fmt.Errorf("wal: create %s: %w", name, err)
	}
	zeros := make([]byte, min(size, zeroChunk))
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
			return fail(err)
		}
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := l.fs.Rename(tmp, name); err != nil {
		return fail(err)
	}
	if err := l.fs.SyncDir(); err != nil {
		return fail(err)
	}
	l.log.Debug("wal segment created", "name", name, "bytes", size)
	return &segment{name: name, f: f, size: size}, nil
}

// Trim releases the segments whose records all have LSNs at most through:
// the owner has made them durable elsewhere. They are reused for later
// records (beyond keepFree, or larger than a segment, removed).
func (l *Log) Trim(through uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for len(l.full) > 0 && l.full[0].last <= through {
		s := l.full[0]
		l.full = l.full[1:]
		if s.size == l.size && len(l.free) < keepFree {
			l.free = append(l.free, s)
			continue
		}
		errs = append(errs, s.f.Close(), l.fs.Remove(s.name))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: trim: %w", err)
	}
	return nil
}

// Segments returns how many segment files the log holds, and their bytes.
func (l *Log) Segments() (n int, bytes int64) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	all := append(append([]*segment(nil), l.full...), l.free...)
	if l.active != nil {
		all = append(all, l.active)
	}
	for _, s := range all {
		bytes += s.size
	}
	return len(all), bytes
}

// Close closes the segment files. Everything appended was synced already.
func (l *Log) Close() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, s := range append(append(l.full, l.free...), l.active) {
		if s != nil {
			errs = append(errs, s.f.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("wal: close: %w", err)
	}
	return nil
}
