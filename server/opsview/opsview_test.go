package opsview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/storeview"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
)

// testErrors answers the views' errors with their status alone; the
// core's JSON error shape is tested with the service.
type testErrors struct{}

func (testErrors) StoreUnreadable(w http.ResponseWriter) {
	http.Error(w, "store", http.StatusServiceUnavailable)
}
func (testErrors) BadParameter(w http.ResponseWriter, msg string) {
	http.Error(w, msg, http.StatusBadRequest)
}

// lockedBuffer is a log destination safe for the handlers' goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	v   *opsview.Views
	st  *boltstore.Store
	wl  *whitelist.Holder
	log *lockedBuffer
}

// newFixture builds Views on a real Bolt store and a Checker with no
// upstream.
func newFixture(t testing.TB, edit func(*opsview.Config)) *fixture {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.FileName), store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{st: st, wl: &whitelist.Holder{}, log: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(f.log, nil))
	c := checkin.New(checkin.Config{Product: "p", ConfDir: t.TempDir(), Interval: time.Hour, Logger: log,
		Now: time.Now, Started: time.Now()}, storeview.New(st))
	cfg := opsview.Config{Version: "1.2.3", Started: time.Unix(1000, 0), Checker: c, Whitelist: f.wl, Counter: storeview.New(st),
		MaxStoreBytes: 1 << 20, CertificateExpiry: func() time.Time { return time.Time{} },
		Commands: []string{"event", "status"}, RequestID: func(http.ResponseWriter) string { return "rid" },
		Logger: log, Errors: testErrors{}}
	if edit != nil {
		edit(&cfg)
	}
	f.v = opsview.New(cfg)
	return f
}

// get serves h on a real loopback server and GETs path from it.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	resp, err := http.Get(ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestStatus: the document gathers the check-in mode, the whitelist's
// source and counts, and the store's counts.
func TestStatus(t *testing.T) {
	expires := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	f := newFixture(t, func(c *opsview.Config) { c.CertificateExpiry = func() time.Time { return expires } })
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.wl.Set(whitelist.List{"e": {Datatype: whitelist.DatatypeEvent}, "f": {Datatype: whitelist.DatatypeNumber},
		"g": {Datatype: whitelist.DatatypeString}}, whitelist.FromFile, at)
	f.st.Append(context.Background(), []store.Record{{Kind: store.Events, Data: []byte(`{"event":"e"}`)},
		{Kind: store.Snapshots, Data: []byte(`{}`)}, {Kind: store.Snapshots, Data: []byte(`{}`)}})
	code, body := get(t, http.HandlerFunc(f.v.ServeStatus), "/")
	var st opsview.Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("%d %s: %v", code, body, err)
	}
	ws, ss, ci := st.Whitelist, st.Store, st.CheckIn
	if st.Version != "1.2.3" || !st.Started.Equal(time.Unix(1000, 0)) || st.CertificateExpires == nil || !st.CertificateExpires.Equal(expires) {
		t.Errorf("status %+v", st)
	}
	if ws.Source != whitelist.FromFile || ws.Fetched == nil || !ws.Fetched.Equal(at) || ws.Events != 1 || ws.Fields != 2 {
		t.Errorf("whitelist %+v", ws)
	}
	if ss.Events != 1 || ss.Snapshots != 2 || ss.Bytes <= 0 || ss.Limit != 1<<20 {
		t.Errorf("store %+v", ss)
	}
	if ci.Mode != checkin.ModeNoUpstream || ci.Reason == "" || ci.Last != nil || ci.Next == nil || !strings.HasSuffix(ci.OptOutFile, checkin.OptOutFile) {
		t.Errorf("check-in %+v", ci)
	}
	f.wl.Set(nil, whitelist.FromConfig, at)
	if st, err := f.v.Status(context.Background()); err != nil || st.Whitelist.Source != whitelist.None || st.Whitelist.Fetched != nil {
		t.Errorf("no whitelist: %+v, %v", st.Whitelist, err)
	}
}

// TestStatusStoreUnreadable: a store that cannot be counted is the
// core's 503, not a document with zeros.
func TestStatusStoreUnreadable(t *testing.T) {
	f := newFixture(t, nil)
	_ = f.st.Close()
	if code, body := get(t, http.HandlerFunc(f.v.ServeStatus), "/"); code != http.StatusServiceUnavailable {
		t.Errorf("%d %s", code, body)
	}
}

type live struct {
	Arrivals []opsview.Arrival `json:"arrivals"`
	Banner   struct {
		Sends bool `json:"sends"`
	} `json:"banner"`
}

func getLive(t *testing.T, v *opsview.Views, after uint64) live {
	t.Helper()
	code, body := get(t, http.HandlerFunc(v.ServeViewLive), fmt.Sprintf("/?after=%d", after))
	var l live
	if err := json.Unmarshal([]byte(body), &l); code != 200 || err != nil {
		t.Fatalf("%d %s: %v", code, body, err)
	}
	return l
}

// TestArrivals: the page gets the latest arrivals after the one it has,
// at most maxArrivals (50), a long entry cut into a JSON string; repeats
// and failures are not arrivals.
func TestArrivals(t *testing.T) {
	f := newFixture(t, nil)
	for i := 1; i <= 60; i++ {
		f.v.NoteStored(opsview.Events, fmt.Appendf(nil, `{"n":%d}`, i), false, nil)
	}
	f.v.NoteStored(opsview.Events, []byte(`{"dup":1}`), true, nil)
	f.v.NoteStored(opsview.Events, []byte(`{"failed":1}`), false, io.ErrUnexpectedEOF)
	f.v.NoteStored(opsview.Events, nil, false, nil)
	l := getLive(t, f.v, 0)
	if n := len(l.Arrivals); n != 50 || l.Arrivals[0].ID != 11 || l.Arrivals[49].ID != 60 || string(l.Arrivals[49].Data) != `{"n":60}` {
		t.Fatalf("%d arrivals, first %+v", n, l.Arrivals[0])
	}
	if l := getLive(t, f.v, 58); len(l.Arrivals) != 2 || l.Arrivals[0].ID != 59 || l.Arrivals[0].Kind != "events" {
		t.Errorf("after 58: %+v", l.Arrivals)
	}
	if l := getLive(t, f.v, 1000); len(l.Arrivals) != 50 {
		t.Errorf("a page from an earlier run gets %d arrivals", len(l.Arrivals))
	}
	long := `{"x":"` + strings.Repeat("é", 5000) + `"}`
	f.v.NoteStored(opsview.Snapshots, []byte(long), false, nil)
	var cut string
	a := getLive(t, f.v, 60).Arrivals
	if len(a) != 1 || json.Unmarshal(a[0].Data, &cut) != nil || len(cut) > 5<<10 || !strings.HasSuffix(cut, fmt.Sprintf("(%d bytes)", len(long))) {
		t.Errorf("a long entry is kept as %d bytes: %.80s", len(a[0].Data), a[0].Data)
	}
	if code, _ := get(t, http.HandlerFunc(f.v.ServeViewLive), "/?after=-1"); code != http.StatusBadRequest {
		t.Errorf("after=-1: %d", code)
	}
}

// TestMetrics: check-ins, commits, stores, replays and observed requests
// show in the scrape, with the state gauges.
func TestMetrics(t *testing.T) {
	f := newFixture(t, nil)
	f.wl.Set(whitelist.List{"e": {Datatype: whitelist.DatatypeEvent}}, whitelist.FromConfig, time.Now())
	f.v.NoteCheckIn(checkin.Record{Time: time.Unix(1700000000, 0), Result: checkin.Success})
	f.v.NoteCheckIn(checkin.Record{Time: time.Unix(1800000000, 0), Result: checkin.Failure})
	f.v.ObserveCommit(3, time.Millisecond)
	f.v.NoteStored(opsview.Snapshots, []byte(`{}`), false, nil)
	f.v.NoteStored(opsview.Snapshots, []byte(`{}`), true, nil)
	h := f.v.Observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(207) }),
		func(r *http.Request) string { return strings.TrimPrefix(r.URL.Path, "/") })
	get(t, h, "/event")
	get(t, h, "/nonsense")
	_, body := get(t, http.HandlerFunc(f.v.ServeMetrics), "/")
	for _, want := range []string{
		`analytics_checkins_total{result="success"} 1`, `analytics_checkins_total{result="failure"} 1`,
		`analytics_last_checkin_timestamp_seconds 1.7e+09`, `analytics_store_commit_entries_sum 3`,
		`analytics_stored_total{kind="snapshots"} 1`, `analytics_idempotent_replays_total 1`,
		`analytics_requests_total{code="207",command="event"} 1`, `analytics_requests_total{code="207",command="other"} 1`,
		`analytics_whitelist_entries 1`, `analytics_store_entries{kind="events"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("the scrape has no %s", want)
		}
	}
}

// TestAccessLog: with AccessLog, each request is a line naming its id,
// certname (- without a client certificate), status and a path cut short.
func TestAccessLog(t *testing.T) {
	f := newFixture(t, func(c *opsview.Config) { c.AccessLog = true })
	h := f.v.Observe(http.NotFoundHandler(), func(*http.Request) string { return "other" })
	get(t, h, "/"+strings.Repeat("a", 1000))
	line := f.log.String()
	if !strings.Contains(line, "msg=request id=rid certname=- method=GET path=/"+strings.Repeat("a", 255)+"... status=404") {
		t.Errorf("access log: %s", line)
	}
	quiet := newFixture(t, nil)
	get(t, quiet.v.Observe(http.NotFoundHandler(), func(*http.Request) string { return "other" }), "/x")
	if strings.Contains(quiet.log.String(), "msg=request") {
		t.Error("a request was logged without AccessLog")
	}
}

func TestAdminChecks(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:8141": true, "[::1]:0": true, "localhost:1": true, "LOCALHOST:1": true,
		"0.0.0.0:8141": false, "example.com:1": false, "127.0.0.1": false, "[::]:1": false} {
		if err := opsview.CheckAdminAddr(addr); (err == nil) != ok {
			t.Errorf("CheckAdminAddr(%s) = %v", addr, err)
		}
	}
	for host, ok := range map[string]bool{"127.0.0.1:8141": true, "localhost": true, "[::1]:80": true, "127.9.9.9": true,
		"evil.example.com:8141": false, "evil.example.com": false, "": false} {
		r := httptest.NewRequest("GET", "/status", nil)
		r.Host = host
		if opsview.LoopbackHost(r) != ok {
			t.Errorf("LoopbackHost(%q) = %v", host, !ok)
		}
	}
	for _, p := range []string{"/status", "/checkin/preview", "/view", "/view/live", "/metrics"} {
		if !opsview.AdminPath(p) {
			t.Errorf("%s is not served on the admin listener", p)
		}
	}
	for _, p := range []string{"/collections/events", "/commands/send", "/", ""} {
		if opsview.AdminPath(p) {
			t.Errorf("%s is served on the admin listener", p)
		}
	}
}
