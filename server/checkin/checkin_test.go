package checkin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/storeview"
	"github.com/analytics-client/analytics/server/whitelist"
)

// fixture is a Checker on a real Bolt store in a temporary directory, and
// what its hooks were told.
type fixture struct {
	c     *checkin.Checker
	st    *boltstore.Store
	cfg   checkin.Config
	mu    sync.Mutex
	wls   []whitelist.List
	dones []checkin.Record
}

func newFixture(t *testing.T, edit func(*checkin.Config)) *fixture {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.FileName), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{st: st}
	f.cfg = checkin.Config{Product: "puppetserver", Version: "8.0.0", Certname: "puppet.example.com",
		ConfDir: t.TempDir(), Interval: time.Hour, HTTPClient: &http.Client{},
		Logger: slog.New(slog.DiscardHandler), Now: time.Now, Started: time.Unix(1000, 0),
		InstallWhitelist: func(wl whitelist.List) { f.mu.Lock(); f.wls = append(f.wls, wl); f.mu.Unlock() },
		Done:             func(r checkin.Record) { f.mu.Lock(); f.dones = append(f.dones, r); f.mu.Unlock() }}
	if edit != nil {
		edit(&f.cfg)
	}
	f.c = checkin.New(f.cfg, storeview.New(st))
	return f
}

func (f *fixture) store(t *testing.T, kind store.Kind, data string) {
	t.Helper()
	for _, r := range f.st.Append(context.Background(), []store.Record{{Kind: kind, Data: []byte(data)}}) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func (f *fixture) count(t *testing.T, kind store.Kind) int {
	t.Helper()
	n, err := f.st.Count(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// upstream is a real update server on loopback that answers every
// check-in with status and body, and keeps the uploads.
func upstream(t *testing.T, status int, body string) (url string, uploads <-chan []byte) {
	got := make(chan []byte, 8)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(ts.Close)
	return ts.URL, got
}

// TestCheckInUploadsAndDiscards: the upload carries the product, the host
// and the entries (snapshots merged, newest value wins); what was uploaded
// is discarded, the answer's whitelist is handed to the core, and the
// outcome is recorded and passed to Done.
func TestCheckInUploadsAndDiscards(t *testing.T) {
	url, uploads := upstream(t, 200, `{"ok":true,"whitelist":{"a.b":{"datatype":"event"}}}`)
	f := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = url })
	f.store(t, store.Events, `{"event":"a.b","timestamp":"t1"}`)
	f.store(t, store.Snapshots, `{"f":{"value":1,"timestamp":"t1"},"g":{"value":"x","timestamp":"t1"}}`)
	f.store(t, store.Snapshots, `{"f":{"value":2,"timestamp":"t2"}}`)
	res, err := f.c.CheckIn(context.Background())
	if err != nil || res.Events != 1 || res.Snapshots != 2 || string(res.Response) != `{"ok":true,"whitelist":{"a.b":{"datatype":"event"}}}` {
		t.Fatalf("CheckIn = %+v, %v", res, err)
	}
	var up struct {
		Product string `json:"product"`
		Group   string `json:"group"`
		HostID  string `json:"host-id"`
		SSA     struct {
			Events    []json.RawMessage `json:"events"`
			Snapshots map[string]struct {
				Value any `json:"value"`
			} `json:"snapshots"`
		} `json:"self-service-analytics"`
	}
	if err := json.Unmarshal(<-uploads, &up); err != nil {
		t.Fatal(err)
	}
	if up.Product != "puppetserver" || up.Group != "puppetlabs.packages" || len(up.HostID) != 128 ||
		len(up.SSA.Events) != 1 || up.SSA.Snapshots["f"].Value != float64(2) || up.SSA.Snapshots["g"].Value != "x" {
		t.Errorf("upload %+v", up)
	}
	if f.count(t, store.Events) != 0 || f.count(t, store.Snapshots) != 0 {
		t.Error("the uploaded entries were kept")
	}
	if len(f.wls) != 1 || f.wls[0].CheckEvent("a.b") != "" || f.wls[0].CheckEvent("c") == "" {
		t.Errorf("whitelists handed over: %v", f.wls)
	}
	last := f.c.Last()
	if last == nil || last.Result != checkin.Success || last.Events != 1 || len(f.dones) != 1 || f.dones[0] != *last {
		t.Errorf("Last = %+v, Done told %+v", last, f.dones)
	}
}

// TestCheckInFailureKeepsEntries: an upstream refusal is an *Error naming
// the URL, and nothing is discarded.
func TestCheckInFailureKeepsEntries(t *testing.T) {
	url, _ := upstream(t, 500, `{}`)
	f := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = url })
	f.store(t, store.Events, `{"event":"a.b","timestamp":"t1"}`)
	_, err := f.c.CheckIn(context.Background())
	var ce *checkin.Error
	if !errors.As(err, &ce) || ce.URL != url {
		t.Fatalf("CheckIn error %v", err)
	}
	if f.count(t, store.Events) != 1 {
		t.Error("a failed check-in discarded the entries")
	}
	if last := f.c.Last(); last == nil || last.Result != checkin.Failure || last.Error != ce.Error() {
		t.Errorf("Last = %+v", last)
	}
	f2 := newFixture(t, nil)
	if _, err := f2.c.CheckIn(context.Background()); !errors.Is(err, checkin.ErrNoUpstream) {
		t.Errorf("no upstream: %v", err)
	}
}

// TestModes: the opt-out file, then the product, then the update server
// decide the mode; opted out and without a product a check-in discards
// everything and sends nothing.
func TestModes(t *testing.T) {
	url, uploads := upstream(t, 200, `{}`)
	on := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = url })
	noProduct := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = url; c.Product = "" })
	noUpstream := newFixture(t, nil)
	optedOut := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = url })
	if err := os.WriteFile(optedOut.c.OptOutFile(), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    *fixture
		mode string
	}{{on, checkin.ModeOn}, {noProduct, checkin.ModeNoProduct}, {noUpstream, checkin.ModeNoUpstream}, {optedOut, checkin.ModeOptedOut}} {
		if mode, reason := tc.f.c.Mode(); mode != tc.mode || (reason == "") != (mode == checkin.ModeOn) {
			t.Errorf("Mode = %s (%q), want %s", mode, reason, tc.mode)
		}
	}
	if optedOut.c.OptedOut() != optedOut.c.OptOutFile() || on.c.OptedOut() != "" {
		t.Error("OptedOut does not follow the file")
	}
	for _, f := range []*fixture{noProduct, optedOut} {
		f.store(t, store.Events, `{"event":"a.b","timestamp":"t1"}`)
		res, err := f.c.CheckIn(context.Background())
		if err != nil || res.Skipped == "" || f.count(t, store.Events) != 0 {
			t.Errorf("skipped check-in: %+v, %v, %d left", res, err, f.count(t, store.Events))
		}
		if last := f.c.Last(); last == nil || last.Result != checkin.Skipped {
			t.Errorf("Last = %+v", last)
		}
	}
	p, err := optedOut.c.Preview(context.Background())
	if err != nil || p.Mode != checkin.ModeOptedOut || string(p.Upload) != "null" {
		t.Errorf("Preview = %+v, %v", p, err)
	}
	select {
	case b := <-uploads:
		t.Errorf("a check-in that may not send sent %s", b)
	default:
	}
}

// blockingWriter holds a preview's upload until released.
type blockingWriter struct {
	entered chan<- struct{}
	release <-chan struct{}
}

func (w blockingWriter) Write(p []byte) (int, error) {
	w.entered <- struct{}{}
	<-w.release
	return len(p), nil
}

// TestPreviewSlots: at most two previews are built at once; a third waits
// for a slot, and gives up when its context ends.
func TestPreviewSlots(t *testing.T) {
	f := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = "http://127.0.0.1:1" })
	f.store(t, store.Events, `{"event":"a.b","timestamp":"t1"}`)
	entered, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if err := f.c.WritePreview(context.Background(), blockingWriter{entered, release}); err != nil {
				t.Error(err)
			}
		})
	}
	<-entered
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := f.c.WritePreview(ctx, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("a third preview while two are built: %v", err)
	}
	close(release)
	wg.Wait()
	p, err := f.c.Preview(context.Background())
	if err != nil || p.Mode != checkin.ModeOn || !json.Valid(p.Upload) {
		t.Errorf("Preview = %+v, %v", p, err)
	}
}

// TestNext: the daily check-in fires every Interval after Started.
func TestNext(t *testing.T) {
	f := newFixture(t, nil)
	start := f.cfg.Started
	if got := f.c.Next(start.Add(90 * time.Minute)); !got.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("Next = %v", got)
	}
	none := newFixture(t, func(c *checkin.Config) { c.Interval = -1 })
	if !none.c.Next(time.Now()).IsZero() {
		t.Error("a Checker without interval schedules a check-in")
	}
}
