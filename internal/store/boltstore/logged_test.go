package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/storetest"
)

func TestLoggedContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, opts store.Options) store.Store {
		s, err := OpenLogged(filepath.Join(t.TempDir(), FileName), opts, LogOptions{SegmentSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestLoggedContractShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) func(store.Options) store.Store {
		path := filepath.Join(t.TempDir(), FileName)
		return func(opts store.Options) store.Store {
			s, err := OpenLogged(path, opts, LogOptions{SegmentSize: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s
		}
	})
}

// crashBeforeApply closes s as a crash would leave it: nothing logged is
// applied to the file.
func crashBeforeApply(t *testing.T, s *Logged) {
	t.Helper()
	s.mu.Lock()
	s.beforeApply = func() error { return errors.New("crash") }
	s.mu.Unlock()
	if err := s.Close(); err == nil {
		t.Fatal("Close applied the log")
	}
}

// TestOpenersApplyLeftLog leaves logged groups that the file does not hold
// (as a crash does) and checks that every way of opening the file sees
// them: OpenLogged (the service), Open (`analyticsd check`) and
// OpenReadOnly (`analyticsd migrate`), and that keys logged are kept.
func TestOpenersApplyLeftLog(t *testing.T) {
	ctx := context.Background()
	for _, opener := range []string{"OpenLogged", "Open", "OpenReadOnly"} {
		t.Run(opener, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), FileName)
			s, err := OpenLogged(path, store.Options{}, LogOptions{ApplyDelay: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 10 {
				storetest.MustOK(t, s.Append(ctx, []store.Record{storetest.Rec(store.Events, fmt.Sprint("e", i), fmt.Sprint("k", i), "sum", "reply")}))
			}
			if n, err := s.Count(ctx, store.Events); n != 10 || err != nil {
				t.Fatalf("Count before the crash = %d, %v", n, err)
			}
			crashBeforeApply(t, s)
			var st interface {
				store.Store
				Check(context.Context) (Stats, error)
			}
			switch opener {
			case "OpenLogged":
				st, err = OpenLogged(path, store.Options{}, LogOptions{})
			case "Open":
				st, err = Open(path, store.Options{})
			case "OpenReadOnly":
				st, err = OpenReadOnly(path, store.Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			stats, err := st.Check(ctx)
			if err != nil || stats.Events != 10 || stats.Keys != 10 {
				t.Errorf("after the crash: %+v, %v; want 10 events and 10 keys", stats, err)
			}
			if got := storetest.ScanAll(t, st, store.Events, 0); len(got) != 10 || string(got[9].Data) != "e9" {
				t.Errorf("scanned %d entries", len(got))
			}
		})
	}
}
