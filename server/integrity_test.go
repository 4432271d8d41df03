package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/whitelist"
)

// orderLog records, in order, the store's commits and the statuses the
// service sends.
type orderLog struct {
	mu     sync.Mutex
	events []string
}

func (l *orderLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, s)
}

func (l *orderLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.events
	l.events = nil
	return out
}

type statusRecorder struct {
	http.ResponseWriter
	log *orderLog
}

func (w statusRecorder) WriteHeader(status int) {
	w.log.add(fmt.Sprint("status ", status))
	w.ResponseWriter.WriteHeader(status)
}

// TestSyncBeforeAnswer: every command that stores something is answered
// only after a commit that the storage engine synced. Opening bbolt with
// NoSync, or answering before the commit, fails it.
func TestSyncBeforeAnswer(t *testing.T) {
	var log orderLog
	ts := startServer(t, func(c *server.Config) {
		c.Whitelist = whitelist.List{"ok.event": {Datatype: whitelist.DatatypeEvent}, "a": {Datatype: whitelist.DatatypeNumber}}
		server.SetStoreCommitHook(c, func(ci store.CommitInfo) { log.add(fmt.Sprint("synced ", ci.Synced)) })
		c.Middleware = func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(statusRecorder{w, &log}, r)
			})
		}
	})
	cases := []struct{ path, body, key, status string }{
		{"/commands/event", `{"event":"ok.event"}`, "", "status 200"},
		{"/commands/snapshot", `{"fields":{"a":1,"b":2}}`, "", "status 206"},
		{"/commands/event", `{"event":"refused"}`, "k", "status 422"}, // remembers its key
		{"/commands/batch", batch(item("event", "b", `{"event":"ok.event"}`), item("snapshot", "", `{"fields":{"a":2}}`)), "", "status 200"},
	}
	for _, c := range cases {
		log.take()
		do(t, ts.client, "POST", ts.url+c.path, c.body, "Idempotency-Key", c.key)
		if got := log.take(); len(got) != 2 || got[0] != "synced true" || got[1] != c.status {
			t.Errorf("%s %s: %q, want a synced commit, then %s", c.path, c.body, got, c.status)
		}
	}
}

// TestCollectionAbortsOnDamagedPage damages a page of the real store file
// under the running service: the collection's transfer breaks instead of
// ending as a complete-looking array, and the service keeps running.
func TestCollectionAbortsOnDamagedPage(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, func(c *server.Config) { c.DataDir = dir; c.MaxBodyBytes = 1 << 20 })
	for b := range 3 {
		var items []string
		for i := range 1000 {
			items = append(items, item("event", "", fmt.Sprintf(`{"event":"mark.%d.%04d"}`, b, i)))
		}
		if got := do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...)); got.status != 200 {
			t.Fatalf("batch: %d %.200s", got.status, got.body)
		}
	}
	// A read waits for the logged entries to reach the file.
	do(t, ts.client, "GET", ts.url+"/collections/events", "")
	path := filepath.Join(dir, boltstore.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	off := bytes.Index(data, []byte("mark.2.0500")) / 4096 * 4096
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 4096), int64(off)); err != nil {
		t.Fatal(err)
	}
	f.Close()

	resp, err := ts.client.Get(ts.url + "/collections/events")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("status %d, read error %v, %d bytes ending %q: want a broken transfer", resp.StatusCode, err, len(body), tail(body))
	}
	if bytes.Contains(body, []byte(`"kind"`)) {
		t.Errorf("an error was appended to the stream: %q", tail(body))
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/snapshots", ""); got.status != 200 || got.body != "[]" {
		t.Errorf("the service stopped answering: %d %s", got.status, got.body)
	}
}

func tail(b []byte) []byte { return b[max(0, len(b)-80):] }

// panickyStore's scan panics after 500 entries: no real store panics on
// demand, and the service must cope when code does.
type panickyStore struct{ store.Store }

func (p panickyStore) Scan(ctx context.Context, kind store.Kind, after uint64, fn func(store.Entry) error) error {
	n := 0
	return p.Store.Scan(ctx, kind, after, func(e store.Entry) error {
		if n++; n > 500 {
			panic("scan broke")
		}
		return fn(e)
	})
}

// TestPanicAfterStatusAbortsResponse: a panic once the status is sent
// breaks the transfer; it never appends a second status or an error body.
func TestPanicAfterStatusAbortsResponse(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "analytics.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerWith(t, panickyStore{st}, func(c *server.Config) { c.Logger = discard() })
	var items []string
	for i := range 600 { // more than the stream's 32 KiB buffer, so the status is out
		items = append(items, item("event", "", fmt.Sprintf(`{"event":"p.%04d","metadata":{"pad":%q}}`, i, strings.Repeat("x", 60))))
	}
	do(t, ts.client, "POST", ts.url+"/commands/batch", batch(items...))
	resp, err := ts.client.Get(ts.url + "/collections/events")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || bytes.Contains(body, []byte(`"kind"`)) {
		t.Errorf("status %d, read error %v, body ending %q: want a broken transfer", resp.StatusCode, err, tail(body))
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/snapshots", ""); got.status != 200 {
		t.Errorf("after the panic: %d %s", got.status, got.body)
	}
}
