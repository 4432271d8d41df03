package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

const markerEntries = 3000

// damagedFixture writes a real store of markerEntries events
// ("MARK-00000"...) and a few keys, closes it, and returns its path.
func damagedFixture(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "analytics.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]store.Record, 0, markerEntries)
	for i := range markerEntries {
		recs = append(recs, store.Record{Kind: store.Events, Data: fmt.Appendf(nil, `{"event":"MARK-%05d","pad":"%s"}`, i, strings.Repeat("p", 60))})
	}
	recs = append(recs, store.Record{Kind: store.Snapshots, Data: []byte(`{"a":1}`), Key: "k", Sum: []byte("s")})
	storetest.MustOK(t, s.Append(context.Background(), recs))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// pageWith returns the offset of the 4 KiB page holding marker.
func pageWith(t *testing.T, path, marker string) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(marker))
	if i < 0 {
		t.Fatalf("%s not in the file", marker)
	}
	return int64(i) / 4096 * 4096
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func truncate(t *testing.T, path string, frac float64) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(info.Size())*frac)); err != nil {
		t.Fatal(err)
	}
}

// TestOpenRefusesDamagedFile damages a real store file in the ways a disk,
// a full filesystem or a careless copy do, and checks that Open refuses it
// with one message naming the file, the problem and what to do, and leaves
// the file as it found it.
func TestOpenRefusesDamagedFile(t *testing.T) {
	garbage := bytes.Repeat([]byte{0xA5, 0x5A, 0xFF, 0x13}, 1024)
	cases := []struct {
		name, problem string
		damage        func(t *testing.T, path string)
	}{
		{"empty", "empty", func(t *testing.T, p string) { truncate(t, p, 0) }},
		{"half", "truncated", func(t *testing.T, p string) { truncate(t, p, 0.5) }},
		{"one page short of its header", "truncated", func(t *testing.T, p string) {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			m, ok := newestMeta(f)
			f.Close()
			if !ok {
				t.Fatal("no valid meta page in a sound file")
			}
			if err := os.Truncate(p, int64(m.pgid-1)*int64(m.pageSize)); err != nil {
				t.Fatal(err)
			}
		}},
		{"headers overwritten", "header", func(t *testing.T, p string) { overwrite(t, p, 0, append(garbage, garbage...)) }},
		{"data page overwritten", "", func(t *testing.T, p string) { overwrite(t, p, pageWith(t, p, "MARK-01500"), garbage) }},
		{"data page zeroed", "", func(t *testing.T, p string) { overwrite(t, p, pageWith(t, p, "MARK-01500"), make([]byte, 4096)) }},
		{"first data page zeroed", "", func(t *testing.T, p string) { overwrite(t, p, pageWith(t, p, "MARK-00000"), make([]byte, 4096)) }},
	}
	openers := map[string]func(string, store.Options) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly}
	for _, tc := range cases {
		for opener, open := range openers {
			t.Run(opener+"/"+tc.name, func(t *testing.T) {
				refusesDamaged(t, open, tc.damage, tc.problem)
			})
		}
	}
}

// refusesDamaged damages a fixture and checks that open refuses it with
// the one-line message and leaves it as it was.
func refusesDamaged(t *testing.T, open func(string, store.Options) (*Store, error), damage func(*testing.T, string), problem string) {
	t.Helper()
	path := damagedFixture(t)
	damage(t, path)
	before, _ := os.ReadFile(path)
	s, err := open(path, store.Options{})
	if err == nil {
		s.Close()
		t.Fatal("the damaged file was accepted")
	}
	var de *DamagedError
	if !errors.As(err, &de) || !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("open: %v, want a *DamagedError", err)
	}
	msg := err.Error()
	for _, want := range []string{path, problem, "Restore it from a backup", "move it away"} {
		if !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
			t.Errorf("message %q does not say %q on one line", msg, want)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("the damaged file changed (%d bytes, was %d)", len(after), len(before))
	}
}

// TestScanFindsPageDamagedWhileOpen damages a page under a running store:
// a scan reports ErrDamaged instead of a shorter collection.
func TestScanFindsPageDamagedWhileOpen(t *testing.T) {
	for _, fill := range []byte{0, 0xA5} {
		t.Run(fmt.Sprint("fill ", fill), func(t *testing.T) {
			path := damagedFixture(t)
			off := pageWith(t, path, "MARK-01500")
			s, err := Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			overwrite(t, path, off, bytes.Repeat([]byte{fill}, 4096))
			n := 0
			err = s.Scan(context.Background(), store.Events, 0, func(store.Entry) error { n++; return nil })
			if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), path) {
				t.Fatalf("scan of %d entries: %v, want ErrDamaged naming the file", n, err)
			}
			if _, err := s.Check(context.Background()); !errors.Is(err, store.ErrDamaged) {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestCheckCounts(t *testing.T) {
	s, err := Open(damagedFixture(t), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Events != markerEntries || st.Snapshots != 1 || st.Keys != 1 || st.UsedBytes <= 0 || st.FileBytes < st.UsedBytes {
		t.Errorf("stats %+v", st)
	}
}

// TestOpenSurvivesRandomDamage overwrites random pages of a real store
// file with random bytes: Open either refuses the file with a
// *DamagedError or opens a store that scans without crashing the process.
func TestOpenSurvivesRandomDamage(t *testing.T) {
	sound, err := os.ReadFile(damagedFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	refused := 0
	for i := range 40 {
		data := bytes.Clone(sound)
		for range 1 + rng.IntN(3) {
			off := rng.IntN(len(data)/4096) * 4096
			for j := off; j < off+4096; j++ {
				data[j] = byte(rng.Uint32())
			}
		}
		path := filepath.Join(t.TempDir(), fmt.Sprint("damaged", i, ".db"))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, store.Options{})
		if err != nil {
			if !errors.Is(err, store.ErrDamaged) {
				t.Fatalf("case %d: %v, want ErrDamaged", i, err)
			}
			refused++
			continue
		}
		for _, k := range []store.Kind{store.Events, store.Snapshots} {
			if err := s.Scan(context.Background(), k, 0, func(store.Entry) error { return nil }); err != nil && !errors.Is(err, store.ErrDamaged) {
				t.Errorf("case %d: scan: %v", i, err)
			}
		}
		s.Close()
	}
	t.Logf("%d of 40 damaged files refused (the others were damaged in free or unused pages)", refused)
}

// BenchmarkOpenCheck measures Open of a store of 1,000,000 entries, which
// runs the full consistency check before the service starts.
//
//	go test -run '^$' -bench OpenCheck -benchtime 3x ./internal/store
func BenchmarkOpenCheck(b *testing.B) {
	path := filepath.Join(b.TempDir(), "analytics.db")
	s, err := Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fill(b, s, store.Events, 1_000_000)
	s.Close()
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := Open(path, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
}
