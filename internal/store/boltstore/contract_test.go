package boltstore

import (
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		s, err := Open(filepath.Join(t.TempDir(), FileName), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestContractShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) func(store.Options) store.Store {
		path := filepath.Join(t.TempDir(), FileName)
		return func(opts store.Options) store.Store {
			s, err := Open(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	})
}
