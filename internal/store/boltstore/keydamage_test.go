package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// TestDamagedKeyRecordIsReplaced damages a remembered idempotency key's
// record in each of its parts, on the store and behind its log: the
// retried request is taken as new (stored again, not answered from the
// damaged record, nor refused as a reused key), the record is replaced and
// answers the next retry, the replacement is logged, and the file passes
// its full check (the key and its index entry went together).
func TestDamagedKeyRecordIsReplaced(t *testing.T) {
	parts := map[string]func(v []byte) int{
		"stored-at": func([]byte) int { return 0 },
		"sum":       func([]byte) int { return 9 },
		"reply":     func(v []byte) int { return len(v) - 5 },
		"checksum":  func(v []byte) int { return len(v) - 1 },
	}
	for _, engine := range []string{"bolt", "logged"} {
		for part, at := range parts {
			t.Run(engine+"/"+part, func(t *testing.T) {
				ctx := context.Background()
				path := filepath.Join(t.TempDir(), FileName)
				logs := &recordLog{min: slog.LevelWarn}
				opts := store.Options{Logger: slog.New(logs)}
				rec := store.Record{Kind: store.Events, Key: "k1", Sum: []byte("sum-of-the-request"),
					Reply: []byte("2026-12-02T10:00:00Z"), Data: []byte(`{"event":"first"}`)}

				var st store.Store
				var file *Store
				if engine == "bolt" {
					file = openAt(t, path, opts)
					st = file
				} else {
					l, err := OpenLogged(path, opts, LogOptions{})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = l.Close() })
					st, file = l, l.db
				}
				if r := st.Append(ctx, []store.Record{rec})[0]; r.Err != nil || r.Dup {
					t.Fatalf("first Append = %+v", r)
				}
				// A scan waits for the logged group to be in the file.
				if err := st.Scan(ctx, store.Events, 0, func(store.Entry) error { return nil }); err != nil {
					t.Fatal(err)
				}
				err := file.db.Update(func(tx *bolt.Tx) error {
					b := tx.Bucket(bucketKeys)
					v := bytes.Clone(b.Get([]byte("k1")))
					if v[8]&keyChecked == 0 {
						t.Fatal("a new record without its checksum")
					}
					v[at(v)] ^= 0x20
					return b.Put([]byte("k1"), v)
				})
				if err != nil {
					t.Fatal(err)
				}

				retry := rec
				retry.Reply, retry.Data = []byte("2026-12-02T11:00:00Z"), []byte(`{"event":"retried"}`)
				if r := st.Append(ctx, []store.Record{retry})[0]; r.Err != nil || r.Dup {
					t.Fatalf("Append over the damaged record = %+v, want it taken as new", r)
				}
				r := st.Append(ctx, []store.Record{retry})[0]
				if r.Err != nil || !r.Dup || string(r.Prior) != string(retry.Reply) {
					t.Fatalf("Append after the replacement = %+v, want a duplicate answered %q", r, retry.Reply)
				}
				if n, err := st.Count(ctx, store.Events); err != nil || n != 2 {
					t.Errorf("Count = %d, %v; want 2 (the request stored again)", n, err)
				}
				if err := st.Scan(ctx, store.Events, 0, func(store.Entry) error { return nil }); err != nil {
					t.Fatal(err)
				}
				if msgs := logs.messages(); len(msgs) != 1 || !strings.Contains(msgs[0], "replaced a damaged idempotency key record") {
					t.Errorf("logged %q, want the replacement once", msgs)
				}
				if _, err := file.Check(ctx); err != nil {
					t.Errorf("Check after the replacement: %v", err)
				}
			})
		}
	}
}

// TestKeyRecordsWithoutChecksumStillAnswer writes a key record as the
// store did before records carried a checksum: it still answers a retry.
func TestKeyRecordsWithoutChecksumStillAnswer(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), FileName), store.Options{})
	sum, reply := []byte("sum-of-the-request"), []byte("2026-12-02T10:00:00Z")
	err := s.db.Update(func(tx *bolt.Tx) error {
		v := binary.BigEndian.AppendUint64(nil, uint64(time.Now().UnixNano()))
		v = append(append(append(v, byte(len(sum))), sum...), reply...)
		if err := tx.Bucket(bucketKeys).Put([]byte("old"), v); err != nil {
			return err
		}
		if err := addMetaInt(tx, metaKeyBytes, keyCost(len("old"), len(v))); err != nil {
			return err
		}
		return tx.Bucket(bucketExpiry).Put(expiryKey(v[:8], "old"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	r := s.Append(ctx, []store.Record{{Kind: store.Events, Key: "old", Sum: sum, Reply: []byte("other"), Data: []byte(`{"event":"e"}`)}})[0]
	if r.Err != nil || !r.Dup || string(r.Prior) != string(reply) {
		t.Fatalf("Append = %+v, want a duplicate answered %q", r, reply)
	}
	if _, err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
}
