package spool

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs/powercut"
)

// cutModel is what the test knows of the spool's records while the power
// is on: what Append and Ack returned, and what a completed Sync covered.
type cutModel struct {
	mu         sync.Mutex
	data       map[uint64]string // accepted records: their Append returned nil
	durable    map[uint64]bool   // accepted records that must survive a cut
	live       []uint64          // accepted and not acknowledged
	ackTried   map[uint64]bool   // Ack was called: they may be gone after a cut
	acked      map[uint64]bool   // their Ack returned nil
	ackDurable map[uint64]bool   // acknowledged, and a Sync covered it
	unsynced   []uint64          // accepted, not yet covered by a Sync
	unsyncedAk []uint64          // acknowledged, not yet covered by a Sync
	attempted  map[string]bool   // every data ever given to Append
}

func (m *cutModel) accepted(id uint64, data string, durable bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[id] = data
	m.live = append(m.live, id)
	if durable {
		m.durable[id] = true
	} else {
		m.unsynced = append(m.unsynced, id)
	}
}

// pick removes and returns a random live record, if any.
func (m *cutModel) pick(rnd *rand.Rand) (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.live) == 0 {
		return 0, false
	}
	i := rnd.IntN(len(m.live))
	id := m.live[i]
	m.live[i] = m.live[len(m.live)-1]
	m.live = m.live[:len(m.live)-1]
	return id, true
}

// beforeSync returns what a Sync that starts now covers. A Sync that fails
// covers nothing: what it would have covered is only lost from the model
// of what must be durable, which asks less of the spool, not more.
func (m *cutModel) beforeSync() (appended, acked []uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	appended, acked = m.unsynced, m.unsyncedAk
	m.unsynced, m.unsyncedAk = nil, nil
	return appended, acked
}

func (m *cutModel) synced(appended, acked []uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range appended {
		m.durable[id] = true
	}
	for _, id := range acked {
		m.ackDurable[id] = true
	}
}

// TestPowerCut cuts the power at random points while records are appended,
// acknowledged and synced concurrently, and reopens the spool after each
// cut: every accepted record that was durable (its Append returned, under
// SyncEach; a Sync covered it, under SyncPeriodic) and whose
// acknowledgement was not durable comes back exactly once, no record whose
// acknowledgement a Sync covered comes back, nothing comes back twice or
// changed, IDs keep increasing, and the spool opens without damage.
func TestPowerCut(t *testing.T) {
	rounds := 300
	if testing.Short() {
		rounds = 40
	}
	for _, policy := range []SyncPolicy{SyncEach, SyncPeriodic} {
		t.Run(policy.String(), func(t *testing.T) {
			powerCuts(t, policy, rounds)
		})
	}
}

func powerCuts(t *testing.T, policy SyncPolicy, rounds int) {
	dir := t.TempDir() // only the lock: the records live in fsys
	fsys := powercut.New(uint64(policy) + 1)
	rnd := rand.New(rand.NewPCG(7, uint64(policy)))
	opts := Options{FS: fsys, Sync: policy, SyncInterval: 1 << 40, CheckInterval: 1 << 40, SegmentSize: 300}
	var m *cutModel
	var maxID uint64
	seq := 0
	for round := range rounds {
		var logs logBuffer
		opts.Logger = logs.logger()
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatalf("round %d: Open after the cut: %v", round, err)
		}
		got := s.Pending()
		if m != nil {
			checkRecovered(t, round, got, m)
		}
		if l := logs.String(); strings.Contains(l, "skipping the rest") {
			t.Fatalf("round %d: a segment before the active one is damaged:\n%s", round, l)
		}
		// The records found are on disk now: the next round starts from them.
		next := &cutModel{data: map[uint64]string{}, durable: map[uint64]bool{}, ackTried: map[uint64]bool{},
			acked: map[uint64]bool{}, ackDurable: map[uint64]bool{}, attempted: map[string]bool{}}
		if m != nil {
			next.attempted = m.attempted
		}
		for _, r := range got {
			next.data[r.ID], next.durable[r.ID] = string(r.Data), true
			next.live = append(next.live, r.ID)
			maxID = max(maxID, r.ID)
		}
		m = next
		// Keep the backlog small, so that rounds stay fast: acknowledge
		// all but the newest records, durably (checked after the next cut).
		if n := len(m.live) - 100; n > 0 {
			old := m.live[:n]
			m.live = slices.Clone(m.live[n:])
			if err := s.Ack(old...); err != nil {
				t.Fatalf("round %d: Ack: %v", round, err)
			}
			if err := s.Sync(); err != nil {
				t.Fatalf("round %d: Sync: %v", round, err)
			}
			for _, id := range old {
				m.ackTried[id], m.acked[id], m.ackDurable[id] = true, true, true
			}
		}
		roundMax := maxID

		fsys.CutAfter(1 + rnd.IntN(150))
		down := fsys.Down()
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for g := range 2 {
			data := make([]string, 0, 64)
			for range 64 {
				seq++
				d := fmt.Sprintf("r%d-g%d-%d", round, g, seq)
				m.attempted[d] = true
				data = append(data, d)
			}
			wg.Go(func() {
				for _, d := range data {
					select {
					case <-down:
						return
					default:
					}
					id, err := s.Append([]byte(d))
					if err != nil {
						continue
					}
					if id <= roundMax {
						errs <- fmt.Errorf("Append got ID %d, not above %d handed out before", id, roundMax)
						return
					}
					m.accepted(id, d, policy == SyncEach)
				}
			})
		}
		ackRnd := rand.New(rand.NewPCG(uint64(round), 1))
		wg.Go(func() {
			for {
				select {
				case <-down:
					return
				default:
				}
				id, ok := m.pick(ackRnd)
				if !ok {
					if err := fsys.Op(); err != nil { // moves the cut on while there is nothing to do
						return
					}
					continue
				}
				m.mu.Lock()
				m.ackTried[id] = true
				m.mu.Unlock()
				if err := s.Ack(id); err == nil {
					m.mu.Lock()
					m.acked[id] = true
					m.unsyncedAk = append(m.unsyncedAk, id)
					m.mu.Unlock()
				}
			}
		})
		wg.Go(func() {
			for {
				select {
				case <-down:
					return
				default:
				}
				appended, acked := m.beforeSync()
				if err := s.Sync(); err == nil {
					m.synced(appended, acked)
				} else if err := fsys.Op(); err != nil {
					return
				}
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
		s.Close() // fails: the power is off; it releases the lock
		fsys.Restore()
		for id := range m.data {
			maxID = max(maxID, id)
		}
	}
}

// checkRecovered checks the records an Open found against the model of the
// round before the cut.
func checkRecovered(t *testing.T, round int, got []Record, m *cutModel) {
	t.Helper()
	seenID := map[uint64]bool{}
	seenData := map[string]bool{}
	for _, r := range got {
		d := string(r.Data)
		switch {
		case seenID[r.ID]:
			t.Fatalf("round %d: record %d recovered twice", round, r.ID)
		case seenData[d]:
			t.Fatalf("round %d: data %q recovered twice", round, d)
		case !m.attempted[d]:
			t.Fatalf("round %d: record %d recovered with data %q never appended", round, r.ID, d)
		case m.ackDurable[r.ID]:
			t.Fatalf("round %d: record %d came back although its acknowledgement was synced", round, r.ID)
		}
		if want, ok := m.data[r.ID]; ok && want != d {
			t.Fatalf("round %d: record %d recovered as %q, appended as %q", round, r.ID, d, want)
		}
		seenID[r.ID], seenData[d] = true, true
	}
	for id := range m.durable {
		if !m.ackTried[id] && !seenID[id] {
			t.Fatalf("round %d: durable record %d (%q) lost in the cut", round, id, m.data[id])
		}
	}
}

// An acknowledgement that deletes a segment is durable once Sync returns:
// the removal is synced in the directory, or the segment would come back
// after a power cut with records whose ack entries were never written.
func TestPowerCutAfterSyncKeepsDeletion(t *testing.T) {
	fsys := powercut.New(1)
	dir := t.TempDir()
	opts := Options{FS: fsys, Sync: SyncEach, CheckInterval: 1 << 40, SegmentSize: 100}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 6 {
		ids = append(ids, mustAppend(t, s, fmt.Sprintf("record %d", i)))
	}
	if s.Stats().Segments < 2 {
		t.Fatalf("%d segments, want a rotation", s.Stats().Segments)
	}
	// The active segment's ack file first, so that the deletions do not
	// ride on the directory sync of its creation.
	if err := s.Ack(ids[len(ids)-1]); err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(ids...); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	fsys.CutAfter(1)
	if fsys.Op() == nil {
		t.Fatal("no power cut")
	}
	s.Close()
	fsys.Restore()
	s = mustOpen(t, dir, opts)
	if p := pendingStrings(s); len(p) != 0 {
		t.Fatalf("acknowledged and synced records came back after a power cut: %v", p)
	}
}
