package storeview_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/storeview"
	"github.com/analytics-client/analytics/server/opsview"
)

// TestCollectionNames: the subsystems name the collections as the store
// does, so the view maps each of their names to the right collection.
func TestCollectionNames(t *testing.T) {
	for _, names := range [][2]string{{storeview.Events, checkin.Events}, {storeview.Events, opsview.Events},
		{storeview.Snapshots, checkin.Snapshots}, {storeview.Snapshots, opsview.Snapshots}} {
		if names[0] != names[1] {
			t.Errorf("the store's %q is %q to a subsystem", names[0], names[1])
		}
	}
}

// TestView: scan, count and delete a real Bolt store by collection name.
func TestView(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.FileName), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	st.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte(`{"event":"a"}`)},
		{Kind: store.Events, Data: []byte(`{"event":"b"}`)}, {Kind: store.Snapshots, Data: []byte(`{}`)}})
	v := storeview.New(st)
	var seqs []uint64
	var last string
	err = v.Scan(ctx, storeview.Events, func(seq uint64, data []byte) error {
		seqs, last = append(seqs, seq), string(data)
		return nil
	})
	if err != nil || len(seqs) != 2 || seqs[0] >= seqs[1] || last != `{"event":"b"}` {
		t.Fatalf("Scan: %v %q %v", seqs, last, err)
	}
	if err := v.DeleteThrough(ctx, storeview.Events, seqs[0]); err != nil {
		t.Fatal(err)
	}
	ev, err1 := v.Count(ctx, storeview.Events)
	sn, err2 := v.Count(ctx, storeview.Snapshots)
	used, err3 := v.UsedBytes(ctx)
	if !v.Counts() || ev != 1 || sn != 1 || used <= 0 || err1 != nil || err2 != nil || err3 != nil {
		t.Errorf("counts %d %d %d: %v %v %v", ev, sn, used, err1, err2, err3)
	}
	if _, err := v.Count(ctx, "collections"); err == nil {
		t.Error("an unknown collection was counted")
	}
	if err := v.Scan(ctx, "", func(uint64, []byte) error { return nil }); err == nil {
		t.Error("an unknown collection was scanned")
	}
}
