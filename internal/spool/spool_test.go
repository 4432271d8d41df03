package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendAckReopen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	if got := s.Pending(); len(got) != 0 {
		t.Fatalf("Pending of a new spool = %v, want none", got)
	}
	for i := 1; i <= 10; i++ {
		id := mustAppend(t, s, fmt.Sprintf("r%d", i))
		if id != uint64(i) {
			t.Fatalf("Append #%d returned ID %d, want %d", i, id, i)
		}
	}
	if err := s.Ack(1, 3, 5, 7, 9); err != nil {
		t.Fatal(err)
	}
	wantBytes := 4*frameSize(len("r2")) + frameSize(len("r10"))
	if st := s.Stats(); st.Records != 5 || st.Bytes != wantBytes {
		t.Fatalf("Stats = %+v, want 5 records of %d bytes", st, wantBytes)
	}
	mustClose(t, s)

	s = mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(2, 4, 6, 8, 10); !slices.Equal(got, w) {
		t.Fatalf("Pending after reopen = %v, want %v", got, w)
	}
	if got := s.Pending(); got != nil {
		t.Fatalf("second Pending = %v, want nil", got)
	}
	if id := mustAppend(t, s, "r11"); id != 11 {
		t.Fatalf("Append after reopen = %d, want 11", id)
	}
}

func TestPendingOmitsRecordsAckedAfterOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	for i := 1; i <= 3; i++ {
		mustAppend(t, s, fmt.Sprintf("r%d", i))
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	if err := s.Ack(2); err != nil {
		t.Fatal(err)
	}
	if got, w := pendingStrings(s), want(1, 3); !slices.Equal(got, w) {
		t.Fatalf("Pending = %v, want %v", got, w)
	}
}

func TestIDsIncreaseAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	var last uint64
	for round := range 4 {
		s := mustOpen(t, dir, Options{SegmentSize: 128})
		for range 5 {
			id := mustAppend(t, s, "x")
			if id != last+1 {
				t.Fatalf("round %d: ID %d after %d, want consecutive after a clean Close", round, id, last)
			}
			last = id
		}
		if round%2 == 1 { // everything acknowledged: only the active segment stays
			if err := s.Ack(seq(1, last)...); err != nil {
				t.Fatal(err)
			}
		}
		mustClose(t, s)
	}
}

func TestIDsAfterCrashSkipToBound(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{Sync: SyncPeriodic, SyncInterval: time.Hour})
	var last uint64
	for range 5 {
		last = mustAppend(t, s, "x")
	}
	// Model a crash that lost the record of a handed-out ID: the image
	// has four of the five records.
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	img := crashImage(t, dir)
	seg := filepath.Join(img, segName(1))
	if err := os.Truncate(seg, segHeaderSize+4*frameSize(1)); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, img, Options{})
	if n := len(c.Pending()); n != 4 {
		t.Fatalf("Pending after crash has %d records, want 4", n)
	}
	id := mustAppend(t, c, "y")
	if id <= last {
		t.Fatalf("Append after crash = %d, reuses an ID handed out before (last %d)", id, last)
	}
}

// seq returns the IDs from..to.
func seq(from, to uint64) []uint64 {
	var ids []uint64
	for id := from; id <= to; id++ {
		ids = append(ids, id)
	}
	return ids
}

func TestFullAndAckMakesRoom(t *testing.T) {
	data := strings.Repeat("d", 100)
	s := mustOpen(t, t.TempDir(), Options{MaxBytes: 3 * frameSize(len(data))})
	for range 3 {
		mustAppend(t, s, data)
	}
	_, err := s.Append([]byte(data))
	if !errors.Is(err, ErrFull) {
		t.Fatalf("Append to a full spool: %v, want ErrFull", err)
	}
	if st := s.Stats(); st.Records != 3 {
		t.Fatalf("a refused Append changed Stats: %+v", st)
	}
	if err := s.Ack(2); err != nil {
		t.Fatal(err)
	}
	if id := mustAppend(t, s, data); id != 4 {
		t.Fatalf("Append after Ack = %d, want 4", id)
	}
	if _, err := s.Append([]byte(data)); !errors.Is(err, ErrFull) {
		t.Fatalf("Append to a full spool again: %v, want ErrFull", err)
	}
}

func TestTooLarge(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	_, err := s.Append(make([]byte, MaxRecordSize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Append over MaxRecordSize: %v, want ErrTooLarge", err)
	}
	if _, err := s.Append(make([]byte, MaxRecordSize)); err != nil {
		t.Fatalf("Append of MaxRecordSize: %v", err)
	}
}

func TestRotationAndDeletion(t *testing.T) {
	dir := t.TempDir()
	// Two 2-byte records (26 bytes each) fit a segment after its header.
	s := mustOpen(t, dir, Options{SegmentSize: segHeaderSize + 2*frameSize(2)})
	for i := 1; i <= 6; i++ {
		mustAppend(t, s, fmt.Sprintf("r%d", i))
	}
	if got, w := segFiles(t, dir), []string{segName(1), segName(3), segName(5)}; !slices.Equal(got, w) {
		t.Fatalf("segments = %v, want %v", got, w)
	}
	if err := s.Ack(3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ackName(3))); err != nil {
		t.Fatalf("ack file of a partly acknowledged segment: %v", err)
	}
	if err := s.Ack(4, 1); err != nil {
		t.Fatal(err)
	}
	if got, w := segFiles(t, dir), []string{segName(1), segName(5)}; !slices.Equal(got, w) {
		t.Fatalf("segments after acknowledging 3 and 4 = %v, want %v", got, w)
	}
	if _, err := os.Stat(filepath.Join(dir, ackName(3))); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ack file of a deleted segment: %v, want it removed", err)
	}
	if err := s.Ack(2, 5, 6); err != nil {
		t.Fatal(err)
	}
	if got, w := segFiles(t, dir), []string{segName(5)}; !slices.Equal(got, w) {
		t.Fatalf("segments after acknowledging all = %v, want the active one %v", got, w)
	}
	if st := s.Stats(); st.Records != 0 || st.Bytes != 0 || st.Segments != 1 {
		t.Fatalf("Stats = %+v, want empty with 1 segment", st)
	}
	// The next record starts a new segment; the fully acknowledged one goes.
	mustAppend(t, s, "r7")
	if got, w := segFiles(t, dir), []string{segName(7)}; !slices.Equal(got, w) {
		t.Fatalf("segments after rotation = %v, want %v", got, w)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(7); !slices.Equal(got, w) {
		t.Fatalf("Pending = %v, want %v", got, w)
	}
}

func TestLockPreventsSecondOpen(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	mustClose(t, s)
	s2 := mustOpen(t, dir, Options{})
	mustClose(t, s2)
}

func TestSyncPeriodicCleanClose(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{Sync: SyncPeriodic, SyncInterval: time.Hour})
	for i := 1; i <= 100; i++ {
		mustAppend(t, s, fmt.Sprintf("r%d", i))
	}
	if st := s.Stats(); st.Syncs != 0 {
		t.Fatalf("SyncPeriodic fsynced %d times before the interval", st.Syncs)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	if got, w := pendingStrings(s), want(seq(1, 100)...); !slices.Equal(got, w) {
		t.Fatalf("Pending after clean Close = %d records, want %d", len(got), len(w))
	}
}

func TestAckDurableAfterSync(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{Sync: SyncPeriodic, SyncInterval: time.Hour})
	for i := 1; i <= 4; i++ {
		mustAppend(t, s, fmt.Sprintf("r%d", i))
	}
	if err := s.Ack(1, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, crashImage(t, dir), Options{})
	if got, w := pendingStrings(c), want(2, 4); !slices.Equal(got, w) {
		t.Fatalf("Pending after crash = %v, want %v", got, w)
	}
}

func TestClosed(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	mustClose(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if err := s.Ack(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Ack after Close: %v, want ErrClosed", err)
	}
	if err := s.Sync(); !errors.Is(err, ErrClosed) {
		t.Errorf("Sync after Close: %v, want ErrClosed", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{MaxBytes: -1}, {SegmentSize: -1}, {SegmentSize: MaxSegmentSize + 1}, {SyncInterval: -1}, {Sync: 7}} {
		if _, err := Open(t.TempDir(), o); err == nil {
			t.Errorf("Open with %+v succeeded", o)
		}
	}
}

func TestStatsOldest(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	if st := s.Stats(); !st.Oldest.IsZero() {
		t.Fatalf("Oldest of an empty spool = %v", st.Oldest)
	}
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	mustAppend(t, s, "a")
	mustAppend(t, s, "b")
	if err := s.Ack(1); err != nil {
		t.Fatal(err)
	}
	if got, w := s.Stats().Oldest, time.Date(2024, 5, 1, 12, 2, 0, 0, time.UTC); !got.Equal(w) {
		t.Fatalf("Oldest = %v, want %v", got, w)
	}
}

func TestConcurrentAppendAck(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{SegmentSize: 4 << 10})
	const workers, per = 8, 60
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		all   []uint64
		acked = map[uint64]bool{}
	)
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				id, err := s.Append([]byte(fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, id)
				mu.Unlock()
				if i%2 == 0 {
					if err := s.Ack(id); err != nil {
						t.Error(err)
					}
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
				s.Stats()
			}
		})
	}
	wg.Wait()
	slices.Sort(all)
	if len(slices.Compact(slices.Clone(all))) != workers*per {
		t.Fatalf("duplicate IDs among %d appends", len(all))
	}
	st := s.Stats()
	if st.Records != workers*per/2 || st.Appends != workers*per {
		t.Fatalf("Stats = %+v, want %d records of %d appends", st, workers*per/2, workers*per)
	}
	// At most one fsync per append, plus the one that ends each segment.
	// (On tmpfs an fsync is instant, so appenders rarely share one.)
	if st.Syncs > st.Appends+st.Rotations {
		t.Fatalf("Stats = %+v: more fsyncs than appends and rotations", st)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{})
	var got []uint64
	for _, r := range s.Pending() {
		got = append(got, r.ID)
	}
	w := slices.DeleteFunc(all, func(id uint64) bool { return acked[id] })
	if !slices.Equal(got, w) {
		t.Fatalf("Pending after reopen = %v, want %v", got, w)
	}
}

// TestGroupCommit holds the sync round open while eight appenders write,
// then checks that one fsync covered all of them.
func TestGroupCommit(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{})
	s.mu.Lock()
	s.syncing = true // as if a round were in progress
	s.mu.Unlock()
	const n = 8
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := s.Append([]byte("x")); err != nil {
				t.Error(err)
			}
		})
	}
	for {
		s.mu.Lock()
		written := s.writeSeq
		s.mu.Unlock()
		if written == n {
			break
		}
		runtime.Gosched()
	}
	s.mu.Lock()
	s.syncing = false
	s.synced.Broadcast()
	s.mu.Unlock()
	wg.Wait()
	if st := s.Stats(); st.Syncs != 1 || st.Appends != n {
		t.Fatalf("Stats = %+v, want %d appends covered by 1 fsync", st, n)
	}
}

// TestCloseDuringAppends closes the spool while appenders are waiting for
// their fsync; every ID handed out must survive.
func TestCloseDuringAppends(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncEach, SyncPeriodic} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := mustOpen(t, dir, Options{Sync: policy, SyncInterval: time.Millisecond, SegmentSize: 1 << 10})
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				got     []uint64
				started = make(chan struct{}, 4)
			)
			for range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						id, err := s.Append([]byte("x"))
						if errors.Is(err, ErrClosed) {
							return
						}
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got = append(got, id)
						mu.Unlock()
						if i == 10 {
							started <- struct{}{}
						}
					}
				})
			}
			for range 4 {
				<-started
			}
			mustClose(t, s)
			wg.Wait()
			s = mustOpen(t, dir, Options{})
			var ids []uint64
			for _, r := range s.Pending() {
				ids = append(ids, r.ID)
			}
			slices.Sort(got)
			if !slices.Equal(ids, got) {
				t.Fatalf("recovered %d records, want the %d whose Append returned", len(ids), len(got))
			}
		})
	}
}
