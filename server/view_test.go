package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
)

// TestViewPage reads the page as a browser without JavaScript would.
func TestViewPage(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, func(c *server.Config) {
		os.WriteFile(filepath.Join(c.CheckIn.ConfDir, checkin.OptOutFile), nil, 0o600)
		c.Whitelist = whitelist.List{"<b>bold</b>": {Datatype: whitelist.DatatypeEvent, Description: "a & b"}}
	})
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"<b>bold</b>"}`)
	got := do(t, ts.client, "GET", ts.url+"/view", "")
	if got.status != 200 || got.ctype != "text/html; charset=utf-8" {
		t.Fatalf("view: %d %s", got.status, got.ctype)
	}
	optOut := filepath.Join(filepath.Dir(strings.TrimSpace(getStatus(t, ts).CheckIn.OptOutFile)), checkin.OptOutFile)
	for _, want := range []string{
		`<p id="banner" class="local" data-mode="opted-out">Not sent: opted out by ` + optOut + `.`,
		`events: {&#34;event&#34;:&#34;&lt;b&gt;bold&lt;/b&gt;&#34;`,
		`<td>&lt;b&gt;bold&lt;/b&gt;</td><td>event</td><td>a &amp; b</td>`,
		`<dd id="store-events">1</dd>`,
		`<pre id="preview">{
  &#34;mode&#34;: &#34;opted-out&#34;,`,
	} {
		if !strings.Contains(got.body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(got.body, "<b>bold") {
		t.Error("a stored name is in the page unescaped")
	}
	for _, ref := range []string{"src=", "href=", "url(", "@import"} {
		if strings.Contains(got.body, ref) {
			t.Errorf("the page loads something (%s)", ref)
		}
	}
}

func TestViewHeaders(t *testing.T) {
	ts := startServer(t, nil)
	req := do(t, ts.client, "GET", ts.url+"/view", "")
	resp, err := ts.client.Get(ts.url + "/view")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'nonce-") ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", resp.Header)
	}
	// The nonce is new for each page.
	if n := strings.Split(csp, "'nonce-")[1]; strings.Contains(req.body, n) {
		t.Error("two pages share a nonce")
	}
}

func TestViewLive(t *testing.T) {
	ts := startServer(t, nil)
	for _, e := range []string{"a", "b", "c"} {
		do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"`+e+`"}`)
	}
	got := do(t, ts.client, "GET", ts.url+"/view/live?after=1", "")
	var lv struct {
		Banner struct {
			Sends bool
			Text  string
		}
		Arrivals []opsview.Arrival
	}
	if err := json.Unmarshal([]byte(got.body), &lv); err != nil || got.status != 200 {
		t.Fatalf("live: %d %s", got.status, got.body)
	}
	if len(lv.Arrivals) != 2 || lv.Arrivals[0].ID != 2 || !strings.Contains(string(lv.Arrivals[1].Data), `"c"`) ||
		lv.Banner.Sends || !strings.HasPrefix(lv.Banner.Text, "Not sent: no product name") {
		t.Errorf("live %+v", lv)
	}
	for _, bad := range []string{"-1", "x", "1e3", "99999999999999999999999"} {
		if got := do(t, ts.client, "GET", ts.url+"/view/live?after="+bad, ""); got.status != 400 || !strings.Contains(got.body, "after") {
			t.Errorf("after=%s: %d %s", bad, got.status, got.body)
		}
	}
}

// TestViewArrivalsKeepsTheLatest stores more entries than the page keeps.
func TestViewArrivalsKeepsTheLatest(t *testing.T) {
	ts := startServer(t, nil)
	var batch []string
	for i := range 70 {
		batch = append(batch, `{"command":"event","payload":{"event":"n`+strings.Repeat("x", i)+`"}}`)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", `{"commands":[`+strings.Join(batch, ",")+`]}`); got.status != 200 {
		t.Fatalf("batch: %d %s", got.status, got.body)
	}
	var lv struct{ Arrivals []opsview.Arrival }
	json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/view/live?after=0", "").body), &lv)
	if n := len(lv.Arrivals); n != 50 || lv.Arrivals[0].ID != 21 || lv.Arrivals[n-1].ID != 70 {
		t.Errorf("%d arrivals, first %d", n, lv.Arrivals[0].ID)
	}
}

// TestViewPreviewCut: the page shows the start of a large upload and
// says where the whole one is; the endpoint streams all of it.
func TestViewPreviewCut(t *testing.T) {
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, nil)
	pad := strings.Repeat("p", 1000)
	var batch []string
	for i := range 300 {
		batch = append(batch, `{"command":"event","payload":{"event":"big`+strings.Repeat("x", i%7)+`","metadata":{"pad":"`+pad+`"}}}`)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/batch", `{"commands":[`+strings.Join(batch, ",")+`]}`); got.status != 200 {
		t.Fatalf("batch: %d %.200s", got.status, got.body)
	}
	var lv struct{ Preview string }
	json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/view/live", "").body), &lv)
	if !strings.HasSuffix(lv.Preview, "... (the first 262144 bytes; GET checkin/preview has the whole upload)") ||
		len(lv.Preview) > 262144+100 {
		t.Errorf("page preview of %d bytes ends %q", len(lv.Preview), lv.Preview[max(0, len(lv.Preview)-120):])
	}
	p := getPreview(t, ts)
	var body struct {
		Analytics struct{ Events []json.RawMessage } `json:"self-service-analytics"`
	}
	if err := json.Unmarshal(p.Upload, &body); err != nil || len(body.Analytics.Events) != 300 {
		t.Errorf("streamed preview: %d events, %v", len(body.Analytics.Events), err)
	}
}

// TestViewArrivalsBounded: a long entry is kept for the page as the start
// of its text; a page from an earlier run of the service gets everything
// kept.
func TestViewArrivalsBounded(t *testing.T) {
	ts := startServer(t, nil)
	long := strings.Repeat("é", 5000)
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"long","metadata":{"s":"`+long+`"}}`)
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"short"}`)
	var lv struct{ Arrivals []opsview.Arrival }
	json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/view/live?after=99", "").body), &lv)
	if len(lv.Arrivals) != 2 {
		t.Fatalf("arrivals %+v", lv.Arrivals)
	}
	var cut string
	if err := json.Unmarshal(lv.Arrivals[0].Data, &cut); err != nil || len(cut) > 4200 ||
		!strings.HasPrefix(cut, `{"event":"long"`) || !strings.Contains(cut, "... (100") || !strings.HasSuffix(cut, " bytes)") {
		t.Errorf("long arrival (%d bytes): %v %.80s", len(cut), err, cut)
	}
	if string(lv.Arrivals[1].Data) != `{"event":"short","timestamp":"`+fixedStamp+`"}` {
		t.Errorf("short arrival %s", lv.Arrivals[1].Data)
	}
}

// TestViewOneWay: the page shows every stored entry as its JSON text, a
// long one cut too (not as an escaped string), and sizes for people; the
// live data the script updates it from says the same.
func TestViewOneWay(t *testing.T) {
	ts := startServer(t, nil)
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"long","metadata":{"s":"`+strings.Repeat("x", 5000)+`"}}`)
	do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"short"}`)
	page := do(t, ts.client, "GET", ts.url+"/view", "").body
	for _, want := range []string{
		`events: {&#34;event&#34;:&#34;long&#34;,`,
		`events: {&#34;event&#34;:&#34;short&#34;,`,
		`<dd id="store-bytes">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, `\&#34;`) || strings.Contains(page, `events: &#34;`) {
		t.Error("the page shows an entry as an escaped string")
	}
	room := page[strings.Index(page, `<dd id="store-bytes">`):]
	room = room[:strings.Index(room, "</dd>")]
	if !strings.Contains(room, " KiB of ") || !strings.HasSuffix(room, "iB") {
		t.Errorf("room %q, want sizes for people", room)
	}

	var lv struct {
		Arrivals []opsview.Arrival
		Room     string
	}
	json.Unmarshal([]byte(do(t, ts.client, "GET", ts.url+"/view/live", "").body), &lv)
	if len(lv.Arrivals) != 2 || !strings.HasPrefix(lv.Arrivals[0].Text, `{"event":"long","metadata":{"s":"xxx`) ||
		!strings.HasSuffix(lv.Arrivals[0].Text, " bytes)") || lv.Arrivals[1].Text != string(lv.Arrivals[1].Data) {
		t.Errorf("live arrivals %+v", lv.Arrivals)
	}
	if !strings.HasPrefix(room, `<dd id="store-bytes">`+lv.Room) || lv.Room == "" {
		t.Errorf("live room %q, page %q", lv.Room, room)
	}
}
