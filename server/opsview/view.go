package opsview

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/analytics-client/analytics/server/checkin"
	"github.com/analytics-client/analytics/server/internal/jsonbody"
	"github.com/analytics-client/analytics/server/whitelist"
)

//go:embed view/view.html
var viewFiles embed.FS

var viewTemplate = template.Must(template.ParseFS(viewFiles, "view/view.html"))

// livePollInterval is how often the page asks for updates.
const livePollInterval = 2 * time.Second

// maxViewPreview is the most of the upload the page shows.
const maxViewPreview = 256 << 10

// liveView is what the page shows, and what its script fetches from
// {prefix}/view/live to update itself.
type liveView struct {
	Banner   banner    `json:"banner"`
	Status   Status    `json:"status"`
	Preview  string    `json:"preview"` // pretty-printed checkin.Preview document
	Arrivals []Arrival `json:"arrivals"`
	Room     string    `json:"room"` // the store's room, for people (roomText)
}

// banner says prominently whether data leaves the site, and why.
type banner struct {
	Sends bool   `json:"sends"`
	Text  string `json:"text"`
}

// bannerFor words the check-in mode for people.
func bannerFor(st Status) banner {
	ci := st.CheckIn
	switch ci.Mode {
	case checkin.ModeOn:
		return banner{Sends: true, Text: "Data leaves this site: check-ins upload the stored entries to " + ci.Upstream + "."}
	case checkin.ModeOptedOut:
		return banner{Text: "Not sent: opted out by " + ci.OptOutFile + ". Stored entries are discarded at each check-in."}
	case checkin.ModeNoProduct:
		return banner{Text: "Not sent: no product name is configured (product.name.artifact-id). Stored entries are discarded at each check-in."}
	case checkin.ModeNoUpstream:
		return banner{Text: "Not sent: no update server is configured (product.update-server-url). Entries stay here."}
	}
	return banner{Text: "Unknown check-in mode " + ci.Mode + "."}
}

// live gathers the page's data; after is the last arrival the page has.
func (v *Views) live(r *http.Request, after uint64) (liveView, error) {
	st, err := v.Status(r.Context())
	if err != nil {
		return liveView{}, err
	}
	preview, err := v.previewText(r.Context(), st.CheckIn)
	if err != nil {
		return liveView{}, err
	}
	arrivals := v.arrivalsAfter(after)
	for i := range arrivals {
		arrivals[i].Text = arrivalText(arrivals[i].Data)
	}
	return liveView{Banner: bannerFor(st), Status: st, Preview: preview,
		Arrivals: arrivals, Room: roomText(st.Store)}, nil
}

// previewText is the preview document pretty-printed for the page; an
// upload longer than maxViewPreview is shown cut, with a note.
func (v *Views) previewText(ctx context.Context, ci CheckInStatus) (string, error) {
	p := checkin.Preview{Mode: ci.Mode, Reason: ci.Reason, Upload: json.RawMessage("null")}
	if ci.Mode == checkin.ModeOn {
		w := &cappedWriter{max: maxViewPreview}
		err := v.cfg.Checker.WritePreview(ctx, w)
		if err != nil && !w.cut {
			return "", err
		}
		if w.cut {
			return w.buf.String() + fmt.Sprintf("\n... (the first %d bytes; GET checkin/preview has the whole upload)", maxViewPreview), nil
		}
		p.Upload = w.buf.Bytes()
	}
	doc, err := jsonbody.Marshal(p)
	if err != nil {
		return "", err
	}
	var pretty bytes.Buffer
	_ = json.Indent(&pretty, doc, "", "  ")
	return pretty.String(), nil
}

// viewPage is the template's data.
type viewPage struct {
	liveView
	Nonce     string
	Whitelist []whitelistRow
	Last      uint64 // ID of the newest arrival shown
	Poll      int64  // milliseconds between updates
}

type whitelistRow struct {
	Name string
	whitelist.Entry
}

// ServeView answers GET {prefix}/view: the page, readable without
// JavaScript, whose small script then polls view/live.
func (v *Views) ServeView(w http.ResponseWriter, r *http.Request) {
	lv, err := v.live(r, 0)
	if err != nil {
		v.viewError(w, r, err)
		return
	}
	page := viewPage{liveView: lv, Nonce: nonce(), Whitelist: v.whitelistRows(),
		Poll: livePollInterval.Milliseconds()}
	if n := len(lv.Arrivals); n > 0 {
		page.Last = lv.Arrivals[n-1].ID
	}
	var buf bytes.Buffer
	if err := viewTemplate.Execute(&buf, page); err != nil {
		v.viewError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+page.Nonce+"'; style-src 'nonce-"+
		page.Nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// ServeViewLive answers GET {prefix}/view/live?after=N with the page's
// data and the arrivals after N.
func (v *Views) ServeViewLive(w http.ResponseWriter, r *http.Request) {
	after, err := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	if err != nil && r.URL.Query().Get("after") != "" {
		v.cfg.Errors.BadParameter(w, "The parameter after must be a non-negative integer.")
		return
	}
	lv, err := v.live(r, after)
	if err != nil {
		v.viewError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, lv)
}

func (v *Views) viewError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client went away
	}
	v.cfg.Throttle.Log(r.Context(), slog.LevelError, "view", "building the page", "err", err)
	v.cfg.Errors.StoreUnreadable(w)
}

func (v *Views) whitelistRows() []whitelistRow {
	wl := v.cfg.Whitelist.Current()
	rows := make([]whitelistRow, 0, len(wl))
	for name, e := range wl {
		rows = append(rows, whitelistRow{Name: name, Entry: e})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows
}

// nonce is a fresh value that lets the page's own script and style run
// under its Content-Security-Policy, and nothing injected.
func nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// errPreviewCut ends an upload written for the page past maxViewPreview.
var errPreviewCut = errors.New("preview cut for the page")

// cappedWriter keeps at most max bytes and then refuses more.
type cappedWriter struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if len(p) > room {
		c.buf.Write(p[:max(room, 0)])
		c.cut = true
		return max(room, 0), errPreviewCut
	}
	return c.buf.Write(p)
}
