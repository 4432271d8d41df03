package boltstore

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
)

func TestBatchRoundTrip(t *testing.T) {
	recs := []store.Record{
		{Kind: store.Events, Data: []byte(`{"event":"a"}`)},
		{Kind: store.Snapshots, Data: []byte(`{"fields":{}}`), Key: "k", Sum: []byte("sum"), Reply: []byte("reply")},
		{Kind: store.Events, Key: "alone", Sum: []byte("s")},
		{Kind: store.Events, Data: []byte{}},
	}
	b, err := decodeBatch(7, appendBatch(nil, 42, recs))
	if err != nil {
		t.Fatal(err)
	}
	if b.lsn != 7 || b.at != 42 || len(b.recs) != len(recs) {
		t.Fatalf("decoded %+v", b)
	}
	for i, r := range b.recs {
		w := recs[i]
		if r.Kind != w.Kind || r.Key != w.Key || !bytes.Equal(r.Data, w.Data) || (r.Data == nil) != (w.Data == nil) ||
			!bytes.Equal(r.Sum, w.Sum) || !bytes.Equal(r.Reply, w.Reply) {
			t.Errorf("record %d: %+v, want %+v", i, r, w)
		}
	}
	if b.counts[store.Events] != 2 || b.counts[store.Snapshots] != 1 {
		t.Errorf("counts %v", b.counts)
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(appendBatch(nil, 1, []store.Record{{Kind: store.Events, Data: []byte("x"), Key: "k", Sum: []byte("s")}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		b, err := decodeBatch(1, p)
		if err != nil {
			return
		}
		again, err := decodeBatch(1, appendBatch(nil, b.at, b.recs))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if fmt.Sprint(again) != fmt.Sprint(b) {
			t.Fatalf("decoded %+v, then %+v", b, again)
		}
	})
}
