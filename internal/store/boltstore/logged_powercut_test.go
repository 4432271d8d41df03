package boltstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/logfs/powercut"
	"github.com/analytics-client/analytics/internal/store"
)

// powerCutDir is a directory for the bbolt file of the power-cut test: in
// memory where the system has one (its syncs cost nothing there; the cut
// is modelled at the log's seam and before each of the applier's commits).
func powerCutDir(t *testing.T) string {
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() {
		dir, err := os.MkdirTemp("/dev/shm", "analytics-powercut-")
		if err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// ackedRec is a record some Append acknowledged.
type ackedRec struct {
	kind  store.Kind
	name  string
	key   string
	reply string
}

// TestLoggedSurvivesPowerCuts cuts the power at 1,000 random points while
// appenders store concurrently (and the applier commits to the file),
// restarts from what was durable, and checks after each restart that every
// acknowledged entry is stored exactly once, every acknowledged key is
// remembered (a repeat is answered as a duplicate), the counts agree with
// the entries and the file passes the full consistency check. The log's
// segments are small so that the cuts fall on segment switches and reuses,
// and the applier's commits are held back for a random number of log
// syncs, as a slow disk would, so that the log is ahead of the file.
func TestLoggedSurvivesPowerCuts(t *testing.T) {
	cuts := 1000
	if testing.Short() {
		cuts = 100
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewPCG(seed, 1))
	fsys := powercut.New(seed)
	path := filepath.Join(powerCutDir(t), FileName)
	lopts := LogOptions{FS: fsys, SegmentSize: 1 << 10, ApplyBatch: 64}
	var acked []ackedRec
	total, openCuts := 0, 0
	// The clock moves an hour in each round, while the store is open (keys
	// do not age while it is closed), and keys are kept 90 minutes: the
	// file keeps the keys of one round and its size stays flat.
	var hours atomic.Int64
	opts := store.Options{Retention: 90 * time.Minute,
		Now: func() time.Time {
			return time.Unix(1700000000, 0).Add(time.Duration(hours.Load()) * time.Hour)
		},
		Elapsed: func() time.Duration { return time.Duration(hours.Load()) * time.Hour },
	}
	for cut := range cuts {
		if rnd.IntN(4) == 0 {
			// A cut while the store opens: after its replay reached the
			// file, the next open replays the same groups again.
			fsys.CutAfter(1 + rnd.IntN(4))
		}
		s, err := OpenLogged(path, opts, lopts)
		if errors.Is(err, powercut.ErrPowerCut) {
			openCuts++
			fsys.Restore()
			continue
		}
		if err != nil {
			t.Fatalf("cut %d: open after the power cut: %v", cut, err)
		}
		fsys.CutAfter(-1)
		hours.Add(1)
		var loaded atomic.Bool
		hold := rnd.IntN(40)
		s.beforeApply = func() error {
			if loaded.Load() {
				// A slow commit of the file: the log moves on meanwhile.
				<-fsys.AfterSyncs(hold)
			}
			return fsys.Op()
		}
		checkAfterCut(t, cut, s, acked)
		fsys.CutAfter(1 + rnd.IntN(200))
		loaded.Store(true)
		acked = appendUntilCut(t, s, rnd.Uint64(), cut)
		total += len(acked)
		select {
		case <-fsys.Down():
		case <-time.After(10 * time.Second):
			t.Fatalf("cut %d: the power cut did not come", cut)
		}
		_ = s.Close() // fails: the power is off
		fsys.Restore()
		if t.Failed() {
			return
		}
	}
	t.Logf("%d records acknowledged before %d power cuts (%d of them while opening)", total, cuts, openCuts)
	if total < cuts {
		t.Errorf("only %d records acknowledged in %d rounds: the cuts fall too early to test anything", total, cuts)
	}
	if n := len(fsys.Files()); n > 6 {
		t.Errorf("the log holds %d files after %d cuts: %v", n, cuts, fsys.Files())
	}
}

// checkAfterCut checks what the restarted store holds against the records
// acknowledged before the cut, then empties it (a check-in). OpenLogged ran
// the file's full consistency check already.
func checkAfterCut(t *testing.T, cut int, s *Logged, acked []ackedRec) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]int{}
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		var last uint64
		n := 0
		err := s.Scan(ctx, kind, 0, func(e store.Entry) error {
			seen[string(e.Data)]++
			last = e.Seq
			n++
			return nil
		})
		if err != nil {
			t.Fatalf("cut %d: scan: %v", cut, err)
		}
		if c, err := s.Count(ctx, kind); err != nil || c != n {
			t.Errorf("cut %d: Count %s = %d, %v; scanned %d", cut, kind.Collection(), c, err, n)
		}
		if err := s.DeleteThrough(ctx, kind, last); err != nil {
			t.Fatalf("cut %d: delete: %v", cut, err)
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("cut %d: %s stored %d times", cut, name, n)
		}
	}
	for _, a := range acked {
		if seen[a.name] != 1 {
			t.Errorf("cut %d: acknowledged %s stored %d times", cut, a.name, seen[a.name])
		}
		if a.key == "" {
			continue
		}
		res := s.Append(ctx, []store.Record{{Kind: a.kind, Data: []byte(a.name), Key: a.key, Sum: []byte(a.name), Reply: []byte(a.reply)}})
		if !res[0].Dup || string(res[0].Prior) != a.reply || res[0].Err != nil {
			t.Errorf("cut %d: acknowledged key %s repeated: %+v, want a duplicate", cut, a.key, res[0])
		}
	}
}

// appendUntilCut runs four appenders, each storing one or two records per
// call (some with keys), until their appends fail, and returns what was
// acknowledged.
func appendUntilCut(t *testing.T, s *Logged, seed uint64, cut int) []ackedRec {
	var mu sync.Mutex
	var acked []ackedRec
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, uint64(w)))
			for i := 0; ; i++ {
				recs := make([]store.Record, 1+rnd.IntN(2))
				for j := range recs {
					name := fmt.Sprintf("%d.%d.%d.%d", cut, w, i, j)
					recs[j] = store.Record{Kind: []store.Kind{store.Events, store.Snapshots}[rnd.IntN(2)], Data: []byte(name)}
					if rnd.IntN(2) == 0 {
						recs[j].Key, recs[j].Sum, recs[j].Reply = "k"+name, []byte(name), []byte("r"+name)
					}
				}
				res := s.Append(context.Background(), recs)
				for j, r := range res {
					if r.Err != nil {
						if !errors.Is(r.Err, powercut.ErrPowerCut) && !errors.Is(r.Err, store.ErrClosed) {
							t.Errorf("append: %v", r.Err)
						}
						return
					}
					mu.Lock()
					acked = append(acked, ackedRec{kind: recs[j].Kind, name: string(recs[j].Data), key: recs[j].Key, reply: string(recs[j].Reply)})
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return acked
}
