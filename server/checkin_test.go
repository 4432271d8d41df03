package server_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
)

// upstream is a fake update server recording each check-in body. It has
// no whitelist (GET /whitelist is a 404).
type upstream struct {
	*httptest.Server
	got     chan []byte
	answer  func(w http.ResponseWriter)
	onCheck func() // runs before answering, e.g. to store during a check-in
}

func newUpstream(t *testing.T, answer func(w http.ResponseWriter)) *upstream {
	u := &upstream{got: make(chan []byte, 10), answer: answer}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if u.onCheck != nil {
			u.onCheck()
		}
		u.got <- body
		u.answer(w)
	}))
	t.Cleanup(u.Close)
	return u
}

func answerWith(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func checkInServer(t *testing.T, up *upstream, edit func(*server.Config)) *testServer {
	return startServer(t, func(c *server.Config) {
		c.UpdateServerURL = up.URL
		c.CheckIn = server.CheckInConfig{Product: "puppetserver", Version: "1.0.0",
			Certname: "host.example", ConfDir: t.TempDir(), Interval: -1}
		if edit != nil {
			edit(c)
		}
	})
}

func sha(s string) string {
	sum := sha512.Sum512([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestCheckInUploadsAndDiscards(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{"version":"1.0.1","newer":true,"link":"https://x","product":"puppetserver"}`))
	ts := checkInServer(t, up, nil)
	for _, b := range []string{`{"event":"e1"}`, `{"event":"e2","metadata":{"n":7}}`} {
		do(t, ts.client, "POST", ts.url+"/commands/event", b)
	}
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1,"b":"x"}}`)
	do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":2}}`)
	// The server's CA file is not configured as global.certs.ssl-ca-cert
	// here: site-id is then empty.
	got := do(t, ts.client, "POST", ts.url+"/commands/send", "")
	want := `{"status":"success","response":{"version":"1.0.1","newer":true,"link":"https://x","product":"puppetserver"}}`
	if got.status != 200 || got.body != want {
		t.Fatalf("send: %d %s", got.status, got.body)
	}
	body := <-up.got
	wantUp := `{"product":"puppetserver","group":"puppetlabs.packages","version":"1.0.0","host-id":"` + sha("host.example") +
		`","site-id":"","self-service-analytics":{"events":[{"event":"e1","timestamp":"` + fixedStamp + `"},` +
		`{"event":"e2","metadata":{"n":7},"timestamp":"` + fixedStamp + `"}],"snapshots":{"a":{"value":2,"timestamp":"` + fixedStamp +
		`"},"b":{"value":"x","timestamp":"` + fixedStamp + `"}}}}`
	if string(body) != wantUp {
		t.Errorf("upload\n got %s\nwant %s", body, wantUp)
	}
	for _, c := range []string{"events", "snapshots"} {
		if got := do(t, ts.client, "GET", ts.url+"/collections/"+c, ""); got.body != "[]" {
			t.Errorf("%s after check-in: %s", c, got.body)
		}
	}
}

func TestCheckInSiteID(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n"), 0o600)
	ts := checkInServer(t, up, func(c *server.Config) { c.CheckIn.CAFile = ca })
	if _, err := ts.srv.CheckIn(context.Background()); err != nil {
		t.Fatal(err)
	}
	var p struct {
		SiteID string `json:"site-id"`
	}
	json.Unmarshal(<-up.got, &p)
	if p.SiteID != sha("-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n") {
		t.Errorf("site-id %s", p.SiteID)
	}
}

func TestCheckInFailureKeepsEntries(t *testing.T) {
	up := newUpstream(t, answerWith(503, `down`))
	ts := checkInServer(t, up, func(c *server.Config) { c.Logger = discard() })
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"kept"}`)
	got := do(t, ts.client, "POST", ts.url+"/commands/send", "")
	var r struct{ Status, Msg string }
	if err := json.Unmarshal([]byte(got.body), &r); err != nil || got.status != 500 || r.Status != "failure" || !strings.Contains(r.Msg, "503") {
		t.Fatalf("send: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); !strings.Contains(got.body, `"kept"`) {
		t.Errorf("events after a failed check-in: %s", got.body)
	}
	_, err := ts.srv.CheckIn(context.Background())
	var ce *checkin.Error
	if !errors.As(err, &ce) || ce.URL != up.URL {
		t.Errorf("CheckIn error %v", err)
	}
}

func TestCheckInUnreachableAndNoUpstream(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	up.Close()
	ts := checkInServer(t, up, func(c *server.Config) { c.Logger = discard() })
	if got := do(t, ts.client, "POST", ts.url+"/commands/send", ""); got.status != 500 || !strings.HasPrefix(got.body, `{"status":"failure"`) {
		t.Errorf("unreachable: %d %s", got.status, got.body)
	}
	none := checkInServer(t, up, func(c *server.Config) { c.UpdateServerURL = "" })
	if _, err := none.srv.CheckIn(context.Background()); !errors.Is(err, checkin.ErrNoUpstream) {
		t.Errorf("no upstream: %v", err)
	}
}

// TestCheckInKeepsEntriesStoredDuringUpload stores an event while the
// upstream is answering: only what was uploaded is discarded.
func TestCheckInKeepsEntriesStoredDuringUpload(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, nil)
	up.onCheck = func() {
		if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"during"}`); got.status != 200 {
			t.Errorf("event during check-in: %d", got.status)
		}
	}
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"before"}`)
	res, err := ts.srv.CheckIn(context.Background())
	if err != nil || res.Events != 1 {
		t.Fatalf("CheckIn: %+v %v", res, err)
	}
	if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); got.body != `[{"event":"during","timestamp":"`+fixedStamp+`"}]` {
		t.Errorf("events after check-in: %s", got.body)
	}
}

// TestCheckInWhitelistKeepsServing replaces the whitelist from the answer;
// unlike the JVM service, commands keep working afterwards.
func TestCheckInWhitelistKeepsServing(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{"version":"1","whitelist":{"listed.e":{"datatype":"event","description":"d"},"listed.f":{"datatype":"number"}}}`))
	ts := checkInServer(t, up, nil)
	if got := do(t, ts.client, "POST", ts.url+"/commands/send", ""); got.status != 200 {
		t.Fatalf("send: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"listed.e"}`); got.status != 200 {
		t.Errorf("listed event: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"other"}`); got.status != 422 {
		t.Errorf("unlisted event: %d %s", got.status, got.body)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"listed.f":"x","z":1}}`); got.status != 206 {
		t.Errorf("snapshot: %d %s", got.status, got.body)
	}
}

func TestCheckInSkipped(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	cases := map[string]func(*server.Config){
		"opt-out": func(c *server.Config) {
			os.WriteFile(filepath.Join(c.CheckIn.ConfDir, checkin.OptOutFile), nil, 0o600)
		},
		"no product": func(c *server.Config) { c.CheckIn.Product = "" },
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			ts := checkInServer(t, up, edit)
			do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"e"}`)
			do(t, ts.client, "POST", ts.url+"/commands/snapshot", `{"fields":{"a":1}}`)
			got := do(t, ts.client, "POST", ts.url+"/commands/send", "")
			if got.status != 200 || !strings.Contains(got.body, `"skipped"`) {
				t.Errorf("send: %d %s", got.status, got.body)
			}
			for _, c := range []string{"events", "snapshots"} {
				if got := do(t, ts.client, "GET", ts.url+"/collections/"+c, ""); got.body != "[]" {
					t.Errorf("%s kept: %s", c, got.body)
				}
			}
			select {
			case b := <-up.got:
				t.Errorf("upstream called: %s", b)
			default:
			}
		})
	}
}

// TestCheckInSchedule lets the periodic check-in fire with a short interval.
func TestCheckInSchedule(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, func(c *server.Config) { c.CheckIn.Interval = 20 * time.Millisecond })
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"scheduled"}`)
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b := <-up.got:
			if strings.Contains(string(b), `"scheduled"`) {
				return
			}
		case <-deadline:
			t.Fatal("no scheduled check-in within 10 s")
		}
	}
}
