package wal

import (
	"bytes"
	"testing"

	"github.com/analytics-client/analytics/internal/logfs"
)

// TestStaleRecordOfAnEarlierGeneration builds a reused segment whose new
// record ends exactly where a record of its previous use begins, with the
// very LSN that would come next (it was written but never acknowledged
// before a crash that lost the record before it): the generation in each
// frame keeps it from being replayed.
func TestStaleRecordOfAnEarlierGeneration(t *testing.T) {
	small := bytes.Repeat([]byte("a"), 100)
	old := format.Append(nil, fixed(1, 1), []byte(segMagic))
	old = format.Append(old, fixed(1, 1), small)
	old = format.Append(old, fixed(2, 1), small)
	old = format.Append(old, fixed(3, 1), []byte("never acknowledged"))
	// The second use: generation 2 from LSN 2, one record as long as the
	// two small ones.
	reused := format.Append(nil, fixed(2, 2), []byte(segMagic))
	reused = format.Append(reused, fixed(2, 2), bytes.Repeat([]byte("b"), 2*int(format.Size(100))-int(format.Size(0))))
	if len(reused) != len(old)-int(format.Size(len("never acknowledged"))) {
		t.Fatalf("the reused record ends at %d, the stale one starts at %d", len(reused), len(old)-int(format.Size(len("never acknowledged"))))
	}
	seg := append(reused, old[len(reused):]...)
	seg = append(seg, make([]byte, 1024-len(seg))...)

	dir := logfs.Dir(t.TempDir())
	f, err := dir.Create(segName(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(seg, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	l, err := Open(dir, Options{SegmentSize: 1024}, 1, func(lsn uint64, _ []byte) error {
		got = append(got, lsn)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(got) != 1 || got[0] != 2 {
		t.Errorf("replayed %v, want [2]", got)
	}
}
