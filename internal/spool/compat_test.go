package spool

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The spool in testdata/v1 was written by the spool's own framing code,
// before the framing moved to internal/recordio: v1Records records of
// v1Data, appended at v1At, in segments of v1SegmentSize, then v1Acked
// acknowledged and the spool closed.
const (
	v1Records     = 14
	v1SegmentSize = 200
)

var v1Acked = []uint64{1, 2, 3, 6, 9, 10}

// v1Data is the data of the record i of the fixture: JSON, an empty record
// and a binary one.
func v1Data(i int) []byte {
	switch {
	case i%5 == 0:
		return nil
	case i == 7:
		b := make([]byte, 256)
		for j := range b {
			b[j] = byte(j)
		}
		return b
	}
	return fmt.Appendf(nil, `{"event":"e%d","n":%d}`, i, i*i)
}

// v1At is the append time of the record i of the fixture.
func v1At(i int) time.Time { return time.Unix(1700000000+int64(i)*60, int64(i)*1001) }

// TestOpenV1Spool opens the spool in testdata/v1: every record not
// acknowledged comes back with its data and time, and the framing written
// today is byte for byte the one of those files.
func TestOpenV1Spool(t *testing.T) {
	src := filepath.Join("testdata", "v1")
	dir := t.TempDir()
	names, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range names {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// The files, re-encoded from what the fixture was made of.
	acked := map[uint64]bool{}
	for _, id := range v1Acked {
		acked[id] = true
	}
	var bases []uint64
	for name := range files {
		if base, ext, ok := parseName(name); ok && ext == segExt {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	if len(bases) < 3 {
		t.Fatalf("fixture has %d segments, want several", len(bases))
	}
	for i, base := range bases {
		end := uint64(v1Records + 1)
		if i+1 < len(bases) {
			end = bases[i+1]
		}
		seg := appendSegHeader(nil, base)
		var ack []byte
		for id := base; id < end; id++ {
			seg = appendFrame(seg, id, v1At(int(id)).UnixNano(), v1Data(int(id)))
			if acked[id] {
				ack = appendAckEntry(ack, id)
			}
		}
		if got := files[segName(base)]; !bytes.Equal(got, seg) {
			t.Errorf("segment %d:\nfixture %x\nencoded %x", base, got, seg)
		}
		if got := files[ackName(base)]; !bytes.Equal(got, ack) {
			t.Errorf("ack file of segment %d:\nfixture %x\nencoded %x", base, got, ack)
		}
	}

	// Recovery.
	var logs logBuffer
	s := mustOpen(t, dir, Options{SegmentSize: v1SegmentSize, Logger: logs.logger()})
	var want []Record
	for i := 1; i <= v1Records; i++ {
		if !acked[uint64(i)] {
			want = append(want, Record{ID: uint64(i), Data: v1Data(i)})
		}
	}
	got := s.Pending()
	if len(got) != len(want) {
		t.Fatalf("Pending = %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Errorf("Pending[%d] = %d:%q, want %d:%q", i, got[i].ID, got[i].Data, want[i].ID, want[i].Data)
		}
		data, err := s.Read(nil, want[i].ID)
		if err != nil || !bytes.Equal(data, want[i].Data) {
			t.Errorf("Read(%d) = %q, %v; want %q", want[i].ID, data, err, want[i].Data)
		}
	}
	if st := s.Stats(); !st.Oldest.Equal(v1At(int(want[0].ID))) {
		t.Errorf("Oldest = %v, want %v", st.Oldest, v1At(int(want[0].ID)))
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("recovery warned: %s", logs.String())
	}
	if id := mustAppend(t, s, "next"); id != v1Records+1 {
		t.Errorf("Append after recovery = %d, want %d", id, v1Records+1)
	}
}
