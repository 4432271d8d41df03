package boltstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
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

// TestLoggedRefusesWhenFarBehind makes applying the log to the file fail
// (as a full disk under the file would) with a small MaxBehind: Appends are
// acknowledged until the file is that far behind, then refused with
// ErrBehind, so the memory the unapplied groups hold stays bounded, and
// the failure is logged once. Once applying works again the next Append
// succeeds, and every acknowledged entry is in the file exactly once.
func TestLoggedRefusesWhenFarBehind(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	logs := &recordLog{min: slog.LevelError}
	const maxBehind = 4 << 10
	s, err := OpenLogged(path, store.Options{Logger: slog.New(logs)}, LogOptions{MaxBehind: maxBehind})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	diskFull := errors.New("no space left on device")
	s.mu.Lock()
	s.beforeApply = func() error { return diskFull }
	s.mu.Unlock()

	acked := 0
	var refused error
	for i := 0; refused == nil; i++ {
		if i > 1000 {
			t.Fatal("no Append was refused")
		}
		res := s.Append(ctx, []store.Record{{Kind: store.Events, Data: fmt.Appendf(nil, `{"event":"e%d","padding":"%0100d"}`, i, 0)}})
		if refused = res[0].Err; refused == nil {
			acked++
		}
	}
	if !errors.Is(refused, ErrBehind) || !errors.Is(refused, diskFull) {
		t.Fatalf("refusal = %v, want ErrBehind and the applier's error", refused)
	}
	behind, err := s.Backlog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if behind < maxBehind || behind > 2*maxBehind {
		t.Errorf("%d bytes behind after %d acknowledged appends, want at least %d and not much more", behind, acked, maxBehind)
	}
	// A retried refusal makes another attempt, and is refused again.
	if err := s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte(`{"event":"again"}`)}})[0].Err; !errors.Is(err, ErrBehind) {
		t.Fatalf("second refusal = %v, want ErrBehind", err)
	}
	if errs := logs.messages(); len(errs) != 1 || !strings.Contains(errs[0], "cannot apply its log") {
		t.Errorf("errors logged: %q, want the apply failure once", errs)
	}

	s.mu.Lock()
	s.beforeApply = nil
	s.mu.Unlock()
	if err := s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte(`{"event":"after"}`)}})[0].Err; err != nil {
		t.Fatalf("Append once applying works again: %v", err)
	}
	acked++
	if n, err := s.Count(ctx, store.Events); err != nil || n != acked {
		t.Fatalf("Count = %d, %v; want the %d acknowledged", n, err, acked)
	}
	seen := map[string]int{}
	if err := s.Scan(ctx, store.Events, 0, func(e store.Entry) error {
		seen[string(e.Data)]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != acked {
		t.Errorf("the file holds %d distinct entries, want %d", len(seen), acked)
	}
	if behind, err := s.Backlog(ctx); err != nil || behind != 0 {
		t.Errorf("Backlog after a scan caught up = %d, %v; want 0", behind, err)
	}
	for data, n := range seen {
		if n != 1 {
			t.Errorf("%s stored %d times", data, n)
		}
	}
}

// TestLoggedWaitsForASlowApplier holds the applier's commit back while the
// file is MaxBehind behind: an Append waits for it instead of failing, and
// returns only after the commit went ahead.
func TestLoggedWaitsForASlowApplier(t *testing.T) {
	ctx := context.Background()
	s, err := OpenLogged(filepath.Join(t.TempDir(), FileName), store.Options{}, LogOptions{MaxBehind: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var released atomic.Bool
	s.mu.Lock()
	s.beforeApply = func() error {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
		return nil
	}
	s.mu.Unlock()
	if err := s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte(`{"event":"first"}`)}})[0].Err; err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		err := s.Append(ctx, []store.Record{{Kind: store.Events, Data: []byte(`{"event":"second"}`)}})[0].Err
		if err == nil && !released.Load() {
			err = errors.New("Append returned while the applier was held back")
		}
		done <- err
	}()
	<-entered // the applier is committing the first group, the second Append waits for it
	released.Store(true)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(ctx, store.Events); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2", n, err)
	}
}
