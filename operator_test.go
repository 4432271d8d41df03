package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/server/whitelist"
	"github.com/analytics-client/analytics/wire"
)

// TestOperatorDocuments: the service's /status and /checkin/preview
// answers decode into the wire types, and those encode to the very bytes
// the service sent, so that no field is lost or renamed on the way. The
// status has every optional part set: a last check-in, a whitelist, a
// certificate expiry and stored entries.
func TestOperatorDocuments(t *testing.T) {
	ctx := context.Background()
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{
		"puppetserver.some-event": {Datatype: whitelist.DatatypeEvent},
		"puppetserver.metric2":    {Datatype: whitelist.DatatypeNumber},
	}))
	client, err := analytics.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := srv.Server().CheckIn(ctx); err != nil { // in mode no-product: skipped
		t.Fatal(err)
	}
	if _, err := client.StoreEvent(ctx, analytics.Event{Name: "puppetserver.some-event"}); err != nil {
		t.Fatal(err)
	}

	st, err := client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.CheckIn.Last == nil || st.CheckIn.Last.Result != wire.CheckInSkipped || st.Whitelist.Source != wire.WhitelistFromConfig ||
		st.Whitelist.Events != 1 || st.Whitelist.Fields != 1 || st.CertificateExpires == nil || st.Store.Events != 1 {
		t.Errorf("status %+v", st)
	}
	sameBytes(t, get(t, srv, "/status"), st)

	p, err := client.CheckInPreview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mode != wire.ModeNoProduct || string(p.Upload) != "null" {
		t.Errorf("preview %+v", p)
	}
	sameBytes(t, get(t, srv, "/checkin/preview"), p)
}

// TestOperatorDocumentNotJSON: a 200 whose body is not the document is a
// *ResponseError that keeps the body.
func TestOperatorDocumentNotJSON(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/analytics/status" {
				_, _ = io.WriteString(w, `{"checkin":{"mode":7}}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	client, err := analytics.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Status(context.Background())
	var re *analytics.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 200 || string(re.Body) != `{"checkin":{"mode":7}}` {
		t.Errorf("err = %v", err)
	}
}

// get fetches path below the service's URL as an operator.
func get(t *testing.T, srv *analyticstest.Server, path string) []byte {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
	}
	return body
}

// sameBytes fails t unless v encodes (as the service encodes) to want.
func sameBytes(t *testing.T, want []byte, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("re-encoded:\n%s\nthe service sent:\n%s", got, want)
	}
}
