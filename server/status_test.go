package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
)

func getStatus(t *testing.T, ts *testServer) opsview.Status {
	t.Helper()
	got := do(t, ts.client, "GET", ts.url+"/status", "")
	if got.status != 200 || !strings.HasPrefix(got.ctype, "application/json") {
		t.Fatalf("status: %d %s %s", got.status, got.ctype, got.body)
	}
	var st opsview.Status
	if err := json.Unmarshal([]byte(got.body), &st); err != nil {
		t.Fatalf("status %s: %v", got.body, err)
	}
	return st
}

// previewDoc is the preview as sent, Upload kept byte for byte.
func getPreview(t *testing.T, ts *testServer) checkin.Preview {
	t.Helper()
	got := do(t, ts.client, "GET", ts.url+"/checkin/preview", "")
	if got.status != 200 {
		t.Fatalf("preview: %d %s", got.status, got.body)
	}
	var p checkin.Preview
	if err := json.Unmarshal([]byte(got.body), &p); err != nil {
		t.Fatalf("preview %s: %v", got.body, err)
	}
	return p
}

// TestStatusAndPreviewModes checks the mode, its reason and the preview in
// each check-in mode.
func TestStatusAndPreviewModes(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	cases := []struct {
		name, mode, reason string
		edit               func(*server.Config)
	}{
		{"on", checkin.ModeOn, "", nil},
		{"opted out", checkin.ModeOptedOut, "opted out: ", func(c *server.Config) {
			os.WriteFile(filepath.Join(c.CheckIn.ConfDir, checkin.OptOutFile), nil, 0o600)
		}},
		{"no product", checkin.ModeNoProduct, "no product name configured", func(c *server.Config) { c.CheckIn.Product = "" }},
		{"no upstream", checkin.ModeNoUpstream, "no update server configured", func(c *server.Config) { c.UpdateServerURL = "" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := checkInServer(t, up, tc.edit)
			do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`)
			st := getStatus(t, ts)
			if st.CheckIn.Mode != tc.mode || !strings.HasPrefix(st.CheckIn.Reason, tc.reason) || (tc.reason == "") != (st.CheckIn.Reason == "") {
				t.Errorf("mode %q reason %q, want %q %q", st.CheckIn.Mode, st.CheckIn.Reason, tc.mode, tc.reason)
			}
			if !strings.HasSuffix(st.CheckIn.OptOutFile, "/"+checkin.OptOutFile) || st.Store.Events != 1 || st.Store.Bytes <= 0 ||
				st.Store.Limit != server.DefaultMaxStoreBytes {
				t.Errorf("status %+v", st)
			}
			if tc.mode == checkin.ModeOptedOut && !strings.Contains(st.CheckIn.Reason, st.CheckIn.OptOutFile) {
				t.Errorf("reason %q does not name %s", st.CheckIn.Reason, st.CheckIn.OptOutFile)
			}
			p := getPreview(t, ts)
			if p.Mode != tc.mode || p.Reason != st.CheckIn.Reason {
				t.Errorf("preview mode %q reason %q", p.Mode, p.Reason)
			}
			if sends := string(p.Upload) != "null"; sends != (tc.mode == checkin.ModeOn) {
				t.Errorf("preview upload %s in mode %s", p.Upload, tc.mode)
			}
		})
	}
}

// TestPreviewEqualsNextCheckIn compares the preview with the body the
// next real check-in posts, byte for byte.
func TestPreviewEqualsNextCheckIn(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("site CA\n"), 0o600)
	ts := checkInServer(t, up, func(c *server.Config) { c.CheckIn.CAFile = ca })
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e1","metadata":{"<k>":"a&b","n":[1,2.5]}}`)
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1,"b":"x"}}`)
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":{"k":"v"}}}`)
	p := getPreview(t, ts)
	if p.Mode != checkin.ModeOn || !strings.Contains(string(p.Upload), `"<k>":"a&b"`) {
		t.Fatalf("preview %s %s", p.Mode, p.Upload)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/send", ""); got.status != 200 {
		t.Fatalf("send: %d %s", got.status, got.body)
	}
	if body := <-up.got; string(body) != string(p.Upload) {
		t.Errorf("check-in posted\n%s\npreview showed\n%s", body, p.Upload)
	}
	// Nothing is left: the next upload is empty.
	if p := getPreview(t, ts); !strings.Contains(string(p.Upload), `"self-service-analytics":{"events":[],"snapshots":{}}`) {
		t.Errorf("preview after check-in %s", p.Upload)
	}
}

// TestStatusAfterCheckIns records a failed and then a successful check-in
// against a fake upstream.
func TestStatusAfterCheckIns(t *testing.T) {
	var failing = make(chan bool, 1)
	failing <- true
	up := newUpstream(t, func(w http.ResponseWriter) {
		f := <-failing
		failing <- f
		if f {
			answerWith(503, `down`)(w)
			return
		}
		answerWith(200, `{"whitelist":{"e":{"datatype":"event"},"f":{"datatype":"number"},"g":{"datatype":"string"}}}`)(w)
	})
	ts := checkInServer(t, up, func(c *server.Config) { c.Logger = discard() })
	if st := getStatus(t, ts); st.CheckIn.Last != nil || st.CheckIn.Upstream != up.URL || st.Whitelist.Source != whitelist.None {
		t.Fatalf("before any check-in: %+v", st)
	}
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`)
	do(t, ts.client, "POST", ts.url+"/commands/send", "")
	<-up.got
	st := getStatus(t, ts)
	if l := st.CheckIn.Last; l == nil || l.Result != checkin.Failure || !strings.Contains(l.Error, "503") ||
		!strings.Contains(l.Error, up.URL) || !l.Time.Equal(fixedTime) {
		t.Fatalf("after a failure: %+v", l)
	}
	if st.Store.Events != 1 {
		t.Errorf("entries after a failure: %+v", st.Store)
	}
	if p := getPreview(t, ts); p.Mode != checkin.ModeOn || !strings.Contains(string(p.Upload), `"events":[{"event":"e",`) {
		t.Errorf("preview after a failure: %s %s", p.Mode, p.Upload)
	}
	<-failing
	failing <- false
	do(t, ts.client, "POST", ts.url+"/commands/send", "")
	<-up.got
	st = getStatus(t, ts)
	if l := st.CheckIn.Last; l == nil || l.Result != checkin.Success || l.Error != "" || l.Events != 1 {
		t.Fatalf("after a success: %+v", l)
	}
	if wl := st.Whitelist; wl.Source != whitelist.FromUpstream || wl.Events != 1 || wl.Fields != 2 || wl.Fetched == nil {
		t.Errorf("whitelist %+v", wl)
	}
	if st.Store.Events != 0 {
		t.Errorf("entries after a success: %+v", st.Store)
	}
	if p := getPreview(t, ts); !strings.Contains(string(p.Upload), `"self-service-analytics":{"events":[],"snapshots":{}}`) {
		t.Errorf("preview after a success: %s", p.Upload)
	}
}

// TestStatusScheduleAndSources checks the next check-in, the start time,
// the version and a whitelist from a file.
func TestStatusScheduleAndSources(t *testing.T) {
	wlFile := filepath.Join(t.TempDir(), "wl.json")
	os.WriteFile(wlFile, []byte(`{"e":{"datatype":"event"}}`), 0o600)
	before := time.Now()
	ts := startServer(t, func(c *server.Config) {
		c.CheckIn.Interval = time.Hour
		c.WhitelistFile = wlFile
		c.Version = "9.9.9"
	})
	st := getStatus(t, ts)
	if st.Version != "9.9.9" || st.Started.Before(before.Add(-time.Second)) || st.Started.After(time.Now()) {
		t.Errorf("version %q started %v", st.Version, st.Started)
	}
	if e := st.CertificateExpires; e == nil || e.Before(time.Now()) {
		t.Errorf("certificate expiry %v", e)
	}
	if n := st.CheckIn.Next; n == nil || !n.Equal(st.Started.Add(time.Hour)) {
		t.Errorf("next %v, want started + 1h (%v)", n, st.Started.Add(time.Hour))
	}
	if wl := st.Whitelist; wl.Source != whitelist.FromFile || wl.Events != 1 || wl.Fields != 0 {
		t.Errorf("whitelist %+v", wl)
	}
	none := startServer(t, nil)
	if st := getStatus(t, none); st.CheckIn.Next != nil || st.CheckIn.Mode != checkin.ModeNoProduct {
		t.Errorf("no schedule: %+v", st.CheckIn)
	}
}

// TestPreviewConcurrent asks for many previews at once: they take turns,
// and every one is complete.
func TestPreviewConcurrent(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, nil)
	for i := range 20 {
		do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e`+string(rune('a'+i))+`"}`)
	}
	want := string(getPreview(t, ts).Upload)
	errs := make(chan string, 50)
	for range cap(errs) {
		go func() {
			r, err := tryDo(ts.client, "GET", ts.url+"/checkin/preview", "")
			switch {
			case err != nil:
				errs <- err.Error()
			case r.status != 200 || !strings.Contains(r.body, want):
				errs <- r.body
			default:
				errs <- ""
			}
		}()
	}
	for range cap(errs) {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func ExampleServer_Status() {
	dir, err := os.MkdirTemp("", "analytics-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.New(server.Config{DataDir: dir,
		CheckIn: server.CheckInConfig{Product: "puppetserver", ConfDir: dir, Interval: -1}})
	if err != nil {
		panic(err)
	}
	defer srv.Close(context.Background())
	st, err := srv.Status(context.Background())
	if err != nil {
		panic(err)
	}
	p, _ := srv.Preview(context.Background())
	fmt.Println(st.CheckIn.Mode, p.Mode, string(p.Upload))
	// Output: no-upstream no-upstream null
}
