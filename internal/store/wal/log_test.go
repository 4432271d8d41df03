package wal_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/analytics-client/analytics/internal/logfs"
	"github.com/analytics-client/analytics/internal/logfs/powercut"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/wal"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const segSize = 1 << 10

// replayed collects what Open replays.
type replayed struct {
	lsns     []uint64
	payloads []string
}

func (r *replayed) fn(lsn uint64, p []byte) error {
	r.lsns = append(r.lsns, lsn)
	r.payloads = append(r.payloads, string(p))
	return nil
}

func openLog(t *testing.T, fsys logfs.FS, after uint64) (*wal.Log, *replayed) {
	t.Helper()
	var r replayed
	l, err := wal.Open(fsys, wal.Options{SegmentSize: segSize}, after, r.fn)
	if err != nil {
		t.Fatal(err)
	}
	return l, &r
}

func appendN(t *testing.T, l *wal.Log, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		lsn, err := l.Append([]byte(payload(i)))
		if err != nil {
			t.Fatal(err)
		}
		if lsn != uint64(i) {
			t.Fatalf("record %d got LSN %d", i, lsn)
		}
	}
}

func payload(i int) string { return fmt.Sprintf("record %d %s", i, strings.Repeat("x", i%50)) }

func TestReopenReplaysAfter(t *testing.T) {
	dir := logfs.Dir(t.TempDir())
	l, _ := openLog(t, dir, 0)
	appendN(t, l, 1, 100) // several segments
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, r := openLog(t, dir, 40)
	defer l.Close()
	if len(r.lsns) != 60 || r.lsns[0] != 41 || r.lsns[59] != 100 {
		t.Fatalf("replayed LSNs %v, want 41 to 100", r.lsns)
	}
	for i, p := range r.payloads {
		if p != payload(41+i) {
			t.Errorf("record %d replayed as %q", 41+i, p)
		}
	}
	if l.Last() != 100 {
		t.Errorf("Last = %d", l.Last())
	}
	appendN(t, l, 101, 1)
}

// TestSegmentsKeepTheirSize checks that appending never changes a
// segment's size (so a sync writes data only) and that trimmed segments
// are reused: the log's files stay few however much goes through it.
func TestSegmentsKeepTheirSize(t *testing.T) {
	path := t.TempDir()
	dir := logfs.Dir(path)
	l, _ := openLog(t, dir, 0)
	defer l.Close()
	for i := 1; i <= 2000; i++ {
		appendN(t, l, i, 1)
		if i%7 == 0 {
			if err := l.Trim(uint64(i - 3)); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 4 {
		t.Errorf("%d segment files after 2000 records trimmed as they went", len(entries))
	}
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(path, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() != segSize {
			t.Errorf("%s: %d bytes, want %d", e.Name(), info.Size(), segSize)
		}
	}
	if n, bytes := l.Segments(); n != len(entries) || bytes != int64(n)*segSize {
		t.Errorf("Segments() = %d, %d; the directory holds %d", n, bytes, len(entries))
	}
}

// TestReusedSegmentReplaysNoStaleRecords reopens a log whose segments were
// reused: the older records left in them are not replayed, and there is no
// gap.
func TestReusedSegmentReplaysNoStaleRecords(t *testing.T) {
	dir := logfs.Dir(t.TempDir())
	l, _ := openLog(t, dir, 0)
	appendN(t, l, 1, 300)
	if err := l.Trim(290); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 301, 100) // reuses the trimmed segments
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, r := openLog(t, dir, 350)
	defer l.Close()
	if len(r.lsns) != 50 || r.lsns[0] != 351 {
		t.Errorf("replayed %v, want 351 to 400", r.lsns)
	}
}

func TestMissingRecordsAreDamage(t *testing.T) {
	path := t.TempDir()
	dir := logfs.Dir(path)
	l, _ := openLog(t, dir, 0)
	appendN(t, l, 1, 100)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	names, err := dir.List()
	if err != nil {
		t.Fatal(err)
	}
	if err := dir.Remove(names[1]); err != nil { // a segment in the middle
		t.Fatal(err)
	}
	_, err = wal.Open(dir, wal.Options{SegmentSize: segSize}, 0, func(uint64, []byte) error { return nil })
	if !errors.Is(err, store.ErrDamaged) {
		t.Errorf("Open without a middle segment: %v, want ErrDamaged", err)
	}
}

// TestPowerCuts appends until a power cut at a random point, 1,000 times,
// and checks that every record Append acknowledged is replayed, once and
// in order, and that the log goes on from there.
func TestPowerCuts(t *testing.T) {
	cuts := 1000
	if testing.Short() {
		cuts = 100
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 2))
	fsys := powercut.New(seed)
	var acked uint64 // the last LSN acknowledged
	var trimmed uint64
	for cut := range cuts {
		var r replayed
		l, err := wal.Open(fsys, wal.Options{SegmentSize: segSize}, trimmed, r.fn)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		for i, lsn := range r.lsns {
			if lsn != trimmed+1+uint64(i) || r.payloads[i] != payload(int(lsn)) {
				t.Fatalf("cut %d: replayed %d: %q", cut, lsn, r.payloads[i])
			}
		}
		if last := l.Last(); last < acked {
			t.Fatalf("cut %d: the log ends at %d, %d was acknowledged", cut, last, acked)
		}
		// What survived without being acknowledged (its sync did not
		// return) is kept as well: from here on it counts as acknowledged.
		// The owner "applies" records up to a point behind the log's end
		// and trims through it.
		acked = l.Last()
		trim := func(through uint64) {
			trimmed = max(trimmed, through)
			if err := l.Trim(trimmed); err != nil && !errors.Is(err, powercut.ErrPowerCut) {
				t.Fatalf("cut %d: %v", cut, err)
			}
		}
		trim(acked - min(acked, uint64(rnd.IntN(20))))
		fsys.CutAfter(1 + rnd.IntN(60))
		for {
			lsn, err := l.Append([]byte(payload(int(acked + 1))))
			if err != nil {
				if !errors.Is(err, powercut.ErrPowerCut) {
					t.Fatalf("cut %d: %v", cut, err)
				}
				break
			}
			acked = lsn
			if rnd.IntN(4) == 0 {
				trim(lsn - min(lsn, uint64(rnd.IntN(3))))
			}
		}
		_ = l.Close()
		fsys.Restore()
	}
}

// noRoom is a directory where creating files fails while full is set: a
// disk with no room for another segment.
type noRoom struct {
	logfs.FS
	full bool
}

func (d *noRoom) Create(name string) (logfs.File, error) {
	if d.full {
		return nil, errors.New("no space left on device")
	}
	return d.FS.Create(name)
}

// TestNoRoomForASegment fills the log's segments while no new one can be
// created: Append fails (nothing was written) and succeeds again once
// there is room or a segment is trimmed, and nothing acknowledged is lost.
func TestNoRoomForASegment(t *testing.T) {
	dir := &noRoom{FS: logfs.Dir(t.TempDir())}
	l, _ := openLog(t, dir, 0)
	dir.full = true
	last := 0
	for i := 1; ; i++ {
		if _, err := l.Append([]byte(payload(i))); err != nil {
			break
		}
		last = i
		if i > 1000 {
			t.Fatal("the log never needed another segment")
		}
	}
	if _, err := l.Append([]byte(payload(last + 1))); err == nil || errors.Is(err, wal.ErrBroken) {
		t.Fatalf("Append without room: %v, want a failure that is not ErrBroken", err)
	}
	if err := l.Trim(uint64(last)); err != nil { // the owner applied them all
		t.Fatal(err)
	}
	appendN(t, l, last+1, 1)
	dir.full = false
	appendN(t, l, last+2, 200)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, r := openLog(t, dir, uint64(last))
	defer l.Close()
	if len(r.lsns) != 201 {
		t.Errorf("replayed %d records after %d, want 201", len(r.lsns), last)
	}
}
