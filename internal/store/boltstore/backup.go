package boltstore

import (
	"context"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
)

// Backup writes a consistent copy of the whole file to w and returns its
// size: the file as of one read transaction, so every append that returned
// before Backup was called is in it, and appends go on meanwhile (bbolt
// copies the transaction's snapshot), except one that needs the file to
// grow: bbolt cannot remap the file under an open read transaction, so it
// waits for the copy to end. The copy opens with Open like the original.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup of %s: %w", s.path, err)
	}
	return n, nil
}

// CheckCopy checks that the file at path is a sound copy of a store (a
// backup about to be restored): it opens it read-only, runs the full
// consistency check Open runs, and refuses a bbolt file of another program,
// one whose buckets are not the store's. It returns the counts.
func CheckCopy(ctx context.Context, path string) (Stats, error) {
	s, err := OpenReadOnly(path, store.Options{})
	if err != nil {
		return Stats{}, err
	}
	defer s.Close()
	var names []string
	err = s.view(ctx, func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	if err != nil {
		return Stats{}, err
	}
	want := []string{string(bucketEvents), string(bucketKeys), string(bucketExpiry), string(bucketSnapshots)}
	slices.Sort(want)
	// A file written before the counts or the quarantine lacks those
	// buckets; any other
	// bucket makes it another program's file.
	names = slices.DeleteFunc(names, func(n string) bool { return n == string(bucketMeta) || n == string(bucketQuarantine) })
	slices.Sort(names)
	if !slices.Equal(names, want) {
		return Stats{}, &DamagedError{Path: path, Problem: fmt.Sprintf("not a store file of this service: its buckets are %q, a store's are %q", names, want)}
	}
	return s.Check(ctx)
}
