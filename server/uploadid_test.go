package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
)

// dedupUpstream is an update server over TLS that de-duplicates check-ins
// by their Idempotency-Key, as one may: a body under a key it has seen is
// acknowledged and dropped. A body without a key is taken as it is. It
// counts every event it takes by name.
type dedupUpstream struct {
	*httptest.Server
	mu       sync.Mutex
	seen     map[string]bool
	ids      []string       // the key of each POST, in order
	taken    map[string]int // event name → times taken
	problems []string
}

func newDedupUpstream(t *testing.T) *dedupUpstream {
	u := &dedupUpstream{seen: map[string]bool{}, taken: map[string]int{}}
	u.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var up struct {
			SSA struct {
				Events []struct {
					Event string `json:"event"`
				} `json:"events"`
			} `json:"self-service-analytics"`
		}
		if err == nil {
			err = json.Unmarshal(body, &up)
		}
		u.mu.Lock()
		defer u.mu.Unlock()
		key := r.Header.Get(checkin.UploadIDHeader)
		u.ids = append(u.ids, key)
		switch {
		case err != nil:
			u.problems = append(u.problems, fmt.Sprintf("upload %d: %v", len(u.ids), err))
		case key != "" && u.seen[key]:
			// a repeat: acknowledged, not taken again
		default:
			u.seen[key] = key != ""
			for _, e := range up.SSA.Events {
				u.taken[e.Event]++
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(u.Close)
	return u
}

// dyingStore is the Bolt store of a replica that dies after the upstream
// received its upload and before the entries are deleted: its next
// DeleteThrough calls fail (the seam the check-in goes through).
type dyingStore struct {
	*boltstore.Store
	failDeletes atomic.Int32
}

func (s *dyingStore) DeleteThrough(ctx context.Context, kind store.Kind, seq uint64) error {
	if s.failDeletes.Add(-1) >= 0 {
		return errors.New("the replica died after the upload")
	}
	return s.Store.DeleteThrough(ctx, kind, seq)
}

// TestInterruptedCheckInUploadedExactlyOnce: check-ins interrupted after
// the upstream received the body, with entries arriving in between, are
// re-sent under the same Idempotency-Key with the same entries, so a
// de-duplicating upstream takes every event exactly once.
func TestInterruptedCheckInUploadedExactlyOnce(t *testing.T) {
	up := newDedupUpstream(t)
	dir := t.TempDir()
	st, err := boltstore.Open(filepath.Join(dir, boltstore.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dying := &dyingStore{Store: st}
	ts := startServerWith(t, dying, func(c *server.Config) {
		c.DataDir = dir
		c.UpdateServerURL = up.URL
		c.HTTPClient = up.Client()
		c.CheckIn = server.CheckInConfig{Product: "puppetserver", Version: "1.0.0",
			Certname: "host.example", ConfDir: t.TempDir(), Interval: -1}
	})
	sent := 0
	store := func(n int) {
		items := make([]string, n)
		for i := range items {
			items[i] = item("event", fmt.Sprint("k", sent), fmt.Sprintf(`{"event":"e-%03d"}`, sent))
			sent++
		}
		if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...)); got.status != 200 {
			t.Fatalf("batch: %d %.200s", got.status, got.body)
		}
	}
	ctx := context.Background()
	store(20)
	for kill := range 3 {
		dying.failDeletes.Store(1)
		if _, err := ts.srv.CheckIn(ctx); err == nil {
			t.Fatalf("interrupted check-in %d succeeded", kill)
		}
		store(5) // stored while the check-in was being retried
	}
	for range 2 {
		if _, err := ts.srv.CheckIn(ctx); err != nil {
			t.Fatal(err)
		}
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	for _, p := range up.problems {
		t.Error(p)
	}
	for i := range sent {
		if n := up.taken[fmt.Sprintf("e-%03d", i)]; n != 1 {
			t.Errorf("event e-%03d taken %d times, want exactly once", i, n)
		}
	}
	// The interrupted upload three times and once more to success, then
	// one of the entries stored meanwhile.
	if len(up.ids) != 5 || up.ids[0] == "" || up.ids[1] != up.ids[0] || up.ids[2] != up.ids[0] || up.ids[3] != up.ids[0] || up.ids[4] == up.ids[0] {
		t.Errorf("upload ids %q: want the interrupted one sent 4 times, then a new one", up.ids)
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); got.body != "[]" {
		t.Errorf("events left after the check-ins: %.200s", got.body)
	}
}

// TestDamagedEntryNeitherServedNorUploaded: an entry whose bytes changed on
// the disk is left out of the collection and of the upload (both stay
// valid JSON), is not deleted by the check-in, and is counted in /status
// and the metrics.
func TestDamagedEntryNeitherServedNorUploaded(t *testing.T) {
	up := newDedupUpstream(t)
	dir := t.TempDir()
	edit := func(c *server.Config) {
		c.DataDir = dir
		c.UpdateServerURL = up.URL
		c.HTTPClient = up.Client()
		c.CheckIn = server.CheckInConfig{Product: "puppetserver", Version: "1.0.0",
			Certname: "host.example", ConfDir: t.TempDir(), Interval: -1}
	}
	ts := startServer(t, edit)
	var items []string
	for i := range 10 {
		items = append(items, item("event", "", fmt.Sprintf(`{"event":"mark-%02d"}`, i)))
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...)); got.status != 200 {
		t.Fatalf("batch: %d %.200s", got.status, got.body)
	}
	if err := ts.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, boltstore.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), "mark-04")
	if i < 0 {
		t.Fatal("entry not in the file")
	}
	data[i+len("mark-0")] = '{' // the JSON breaks, as a flipped bit can do
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ts = startServer(t, edit)
	got := do(t, ts.client, "GET", ts.url+"/collections/events", "")
	var served []map[string]any
	if err := json.Unmarshal([]byte(got.body), &served); err != nil || got.status != 200 || len(served) != 9 {
		t.Fatalf("collection: %d, %d entries, %v: %.300s", got.status, len(served), err, got.body)
	}
	if strings.Contains(got.body, "mark-04") || strings.Contains(got.body, "mark-0{") {
		t.Errorf("the damaged entry was served: %s", got.body)
	}
	var status struct {
		Store struct {
			Quarantined int `json:"quarantined"`
		} `json:"store"`
	}
	if err := json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/status", "").body), &status); err != nil || status.Store.Quarantined != 1 {
		t.Errorf("/status store.quarantined = %d (%v), want 1", status.Store.Quarantined, err)
	}
	if m := do(t, ts.client, "GET", ts.url+"/metrics", "").body; !strings.Contains(m, "analytics_store_quarantined_entries 1") {
		t.Error("the metrics lack analytics_store_quarantined_entries 1")
	}
	if _, err := ts.srv.CheckIn(context.Background()); err != nil {
		t.Fatal(err)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	for _, p := range up.problems {
		t.Error(p)
	}
	if len(up.taken) != 9 || up.taken["mark-04"] != 0 {
		t.Errorf("uploaded %v, want the 9 sound entries", up.taken)
	}
}
