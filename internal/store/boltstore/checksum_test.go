package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

// recordLog keeps the records logged at min or above, each as its message
// and attributes.
type recordLog struct {
	min  slog.Level
	mu   sync.Mutex
	msgs []string
}

func (l *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *recordLog) WithGroup(string) slog.Handler            { return l }
func (l *recordLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < l.min {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, b.String())
	return nil
}

func (l *recordLog) messages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.msgs...)
}

// alterValue changes one byte of the data of entry seq of bucket in the
// closed file at path, leaving its checksum as it was: what a flipped bit on
// the disk does.
func alterValue(t *testing.T, path string, bucket []byte, seq uint64, at int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		v := bytes.Clone(b.Get(seqKey(seq)))
		v[at] ^= 0x20
		return b.Put(seqKey(seq), v)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDamagedEntrySetAside: an entry whose data changed on the disk is not
// served; it is moved to the quarantine with one ERROR naming it, counted,
// left alone by a check-in's delete, and reported by Check. The entries
// around it are served as stored.
func TestDamagedEntrySetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := openAt(t, path, store.Options{})
	for i := range 10 {
		mustAppend(t, s, store.Events, fmt.Sprintf(`{"id":"event-%d"}`, i))
	}
	s.Close()
	alterValue(t, path, bucketEvents, 4, 5+len(`{"id":"ev`)) // "event-3" → "eVent-3"

	log := &recordLog{min: slog.LevelError}
	s = openAt(t, path, store.Options{Logger: slog.New(log), ScanPage: 3})
	ctx := context.Background()
	got := storetest.Datas(scanAll(t, s, store.Events, 0))
	if want := 9; len(got) != want || strings.Contains(strings.Join(got, ","), "eVent") || strings.Contains(strings.Join(got, ","), `"event-3"`) {
		t.Fatalf("served %v, want the 9 sound entries", got)
	}
	for i, d := range got {
		if !strings.Contains(d, fmt.Sprintf(`"event-%d"`, i+btoi(i >= 3))) {
			t.Errorf("entry %d = %s", i, d)
		}
	}
	scanAll(t, s, store.Events, 0) // a second read logs nothing more
	if errs := log.messages(); len(errs) != 1 || !strings.Contains(errs[0], "seq=4") || !strings.Contains(errs[0], "kind=events") {
		t.Fatalf("ERROR records %q, want one naming events entry 4", errs)
	}
	if n, err := s.Quarantined(ctx); err != nil || n != 1 {
		t.Fatalf("Quarantined = %d, %v; want 1", n, err)
	}
	if n := count(t, s, store.Events); n != 9 {
		t.Errorf("Count = %d, want 9", n)
	}
	st, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Damaged) != 0 || len(st.Quarantined) != 1 || st.Quarantined[0] != (DamagedEntry{Kind: store.Events, Seq: 4}) {
		t.Errorf("Check: damaged %v, quarantined %v", st.Damaged, st.Quarantined)
	}
	if err := s.DeleteThrough(ctx, store.Events, 10); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.Quarantined(ctx); n != 1 {
		t.Errorf("after a check-in's delete, Quarantined = %d, want 1", n)
	}
	s.Close()
	// The gap the quarantine explains is no damage to the layout.
	s = openAt(t, path, store.Options{})
	mustAppend(t, s, store.Events, `{"id":"later"}`)
	if got := storetest.Datas(scanAll(t, s, store.Events, 0)); fmt.Sprint(got) != `[{"id":"later"}]` {
		t.Errorf("after reopening: %v", got)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDeleteSetsAsideWhatItCannotVerify: an entry damaged after it was read
// (so after the upload) is not deleted by the check-in's delete: it is set
// aside.
func TestDeleteSetsAsideWhatItCannotVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := openAt(t, path, store.Options{})
	for i := range 5 {
		mustAppend(t, s, store.Snapshots, fmt.Sprintf(`{"f":%d}`, i))
	}
	s.Close()
	alterValue(t, path, bucketSnapshots, 2, 7)
	s = openAt(t, path, store.Options{})
	ctx := context.Background()
	if err := s.DeleteThrough(ctx, store.Snapshots, 5); err != nil {
		t.Fatal(err)
	}
	st, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Snapshots != 0 || len(st.Quarantined) != 1 || st.Quarantined[0].Seq != 2 {
		t.Errorf("after the delete: %d snapshots, quarantined %v; want 0 and entry 2", st.Snapshots, st.Quarantined)
	}
}

// TestCheckReportsDamagedWithoutWriting: Check on a store opened read-only
// names every damaged entry and changes nothing.
func TestCheckReportsDamagedWithoutWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s := openAt(t, path, store.Options{})
	for i := range 20 {
		mustAppend(t, s, store.Events, fmt.Sprintf(`{"n":%d}`, i))
	}
	s.Close()
	alterValue(t, path, bucketEvents, 3, 6)
	alterValue(t, path, bucketEvents, 17, 6)
	before, _ := os.ReadFile(path)
	ro, err := OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ro.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(st.Damaged) != "[{event 3} {event 17}]" {
		t.Errorf("Damaged = %v, want events 3 and 17", st.Damaged)
	}
	if n := len(scanAll(t, ro, store.Events, 0)); n != 18 {
		t.Errorf("read-only scan served %d entries, want 18", n)
	}
	ro.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the file changed")
	}
}

// TestOpenUpgradesUnversionedEntries: a file from before checksums has its
// entries rewritten in the versioned format at open, which then reads them
// as they were; read-only, the old values are read unchecked.
func TestOpenUpgradesUnversionedEntries(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	writeOldFile(t, path, 300, 2)
	ro, err := OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(scanAll(t, ro, store.Events, 0)); n != 300 {
		t.Fatalf("read-only, before the upgrade: %d events", n)
	}
	ro.Close()
	s := openAt(t, path, store.Options{})
	ev := scanAll(t, s, store.Events, 0)
	if len(ev) != 300 || string(ev[299].Data) != `{"event":"x","value":"0123456789abcdef"}` {
		t.Fatalf("after the upgrade: %d events, last %q", len(ev), ev[len(ev)-1].Data)
	}
	used, _ := s.UsedBytes(context.Background())
	if want := int64(302 * (len(`{"event":"x","value":"0123456789abcdef"}`) + store.EntryOverhead)); used != want {
		t.Errorf("UsedBytes = %d, want %d", used, want)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			if _, err := store.DecodeEntry(store.Events, binaryKey(k), v, false); err != nil {
				t.Errorf("entry %x not upgraded: %v", k, err)
			}
			return nil
		})
	})
}

func binaryKey(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

// TestRandomDamageNeverServesAlteredEntries corrupts random bytes of a copy
// of a store of 20,000 entries, 100 times: each time, Open refuses the file
// as damaged, or every entry it serves is the entry stored under that
// sequence number.
func TestRandomDamageNeverServesAlteredEntries(t *testing.T) {
	const entries, cases = 20_000, 100
	path := filepath.Join(t.TempDir(), FileName)
	s := openAt(t, path, store.Options{})
	want := map[uint64]string{}
	recs := make([]store.Record, entries)
	for i := range recs {
		recs[i] = store.Record{Kind: store.Events, Data: fmt.Appendf(nil, `{"event":"e-%05d","v":%d}`, i, i*7919)}
	}
	storetest.MustOK(t, s.Append(context.Background(), recs))
	for _, e := range scanAll(t, s, store.Events, 0) {
		want[e.Seq] = string(e.Data)
	}
	s.Close()
	sound, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(18, 1))
	p := filepath.Join(t.TempDir(), FileName) // each case's copy
	var refused, served, withheld, altered int
	for i := range cases {
		data := bytes.Clone(sound)
		for range 1 + rng.IntN(8) {
			data[rng.IntN(len(data))] ^= byte(1 + rng.IntN(255))
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(p, store.Options{ScanPage: 4096})
		if err != nil {
			if !errors.Is(err, store.ErrDamaged) {
				t.Fatalf("case %d: %v, want ErrDamaged", i, err)
			}
			refused++
			continue
		}
		n := 0
		err = s.Scan(context.Background(), store.Events, 0, func(e store.Entry) error {
			n++
			if w, ok := want[e.Seq]; !ok || w != string(e.Data) {
				altered++
				t.Errorf("case %d: entry %d served as %q, stored as %q", i, e.Seq, e.Data, w)
			}
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrDamaged) {
			t.Errorf("case %d: scan: %v", i, err)
		}
		served += n
		withheld += entries - n
		s.Close()
	}
	t.Logf("%d cases: %d files refused; %d entries served; %d withheld (set aside or behind a damaged page); %d altered",
		cases, refused, served, withheld, altered)
}

// openAt opens the store at path; Cleanup closes it (Close is idempotent,
// so the test may close it first).
func openAt(t testing.TB, path string, opts store.Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
