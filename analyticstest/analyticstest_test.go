package analyticstest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/server/whitelist"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(data)
}

func TestEventsAndSnapshots(t *testing.T) {
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	srv := analyticstest.NewServer(t, analyticstest.WithClock(func() time.Time { return stamp }))
	if !strings.HasPrefix(srv.URL, "https://127.0.0.1:") || !strings.HasSuffix(srv.URL, "/analytics") {
		t.Fatalf("URL %s", srv.URL)
	}
	c := srv.Client()
	if code, body := post(t, c, srv.URL+"/commands/event", `{"event":"a.b","metadata":{"n":1337}}`); code != 200 {
		t.Fatalf("event: %d %s", code, body)
	}
	if code, body := post(t, c, srv.URL+"/commands/snapshot", `{"fields":{"x.y":"z"}}`); code != 200 {
		t.Fatalf("snapshot: %d %s", code, body)
	}
	evs := srv.Events()
	if len(evs) != 1 || evs[0].Event != "a.b" || evs[0].Metadata["n"] != json.Number("1337") || !evs[0].Timestamp.Equal(stamp) {
		t.Errorf("events %+v", evs)
	}
	if string(evs[0].Raw) != `{"event":"a.b","metadata":{"n":1337},"timestamp":"2026-01-02T03:04:05.006Z"}` {
		t.Errorf("raw %s", evs[0].Raw)
	}
	snaps := srv.Snapshots()
	if len(snaps) != 1 || snaps[0]["x.y"].Value != "z" || !snaps[0]["x.y"].Timestamp.Equal(stamp) {
		t.Errorf("snapshots %+v", snaps)
	}
}

func TestConfigFiles(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	if cfg.URL != srv.URL || cfg.SSL == nil || cfg.SSL.CertFile == "" || cfg.SSL.KeyFile == "" || cfg.SSL.CAFile == "" {
		t.Fatalf("config %+v", cfg)
	}
	if !strings.HasPrefix(cfg.SSL.CAFile, srv.DataDir()) {
		t.Errorf("CA %s not under %s", cfg.SSL.CAFile, srv.DataDir())
	}
}

func TestNeedRefusesClientWithoutCertificate(t *testing.T) {
	srv := analyticstest.NewServer(t)
	ca, err := os.ReadFile(srv.Config().SSL.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}} // trusts the service, has no certificate
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET without a client certificate answered %s", resp.Status)
	}
	if !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("GET without a client certificate: %v, want the service's refusal", err)
	}
}

func TestWhitelist(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithWhitelist(whitelist.List{"ok": {Datatype: whitelist.DatatypeEvent}}))
	c := srv.Client()
	if code, _ := post(t, c, srv.URL+"/commands/event", `{"event":"ok"}`); code != 200 {
		t.Errorf("listed event: %d", code)
	}
	if code, body := post(t, c, srv.URL+"/commands/event", `{"event":"no"}`); code != 422 || body != `{"rejected":{"no":"Not an expected event"}}` {
		t.Errorf("unlisted event: %d %s", code, body)
	}
	srv.SetWhitelist(nil)
	if code, _ := post(t, c, srv.URL+"/commands/event", `{"event":"no"}`); code != 200 {
		t.Errorf("after clearing the whitelist: %d", code)
	}
	if n := len(srv.Events()); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}
}

func TestRestartOnSameData(t *testing.T) {
	dir := t.TempDir()
	first := analyticstest.NewServer(t, analyticstest.WithDataDir(dir))
	post(t, first.Client(), first.URL+"/commands/event", `{"event":"before"}`)
	first.Close()
	second := analyticstest.NewServer(t, analyticstest.WithDataDir(dir))
	if second.Config().SSL.CAFile != first.Config().SSL.CAFile {
		t.Errorf("certificates moved")
	}
	evs := second.Events()
	if len(evs) != 1 || evs[0].Event != "before" {
		t.Errorf("after restart: %+v", evs)
	}
}

func TestWaitEvents(t *testing.T) {
	srv := analyticstest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := srv.Client()
	errc := make(chan error, 1)
	go func() {
		for _, name := range []string{"one", "two", "three"} {
			resp, err := c.Post(srv.URL+"/commands/event", "application/json", strings.NewReader(`{"event":"`+name+`"}`))
			if err != nil {
				errc <- err
				return
			}
			resp.Body.Close()
		}
		errc <- nil
	}()
	evs, err := srv.WaitEvents(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[2].Event != "three" {
		t.Errorf("events %+v", evs)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithCancel(ctx)
	cancelShort()
	if _, err := srv.WaitSnapshots(short, 1); err == nil {
		t.Error("WaitSnapshots on a cancelled context returned no error")
	}
}

func TestPlainHTTP(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithPlainHTTP())
	if !strings.HasPrefix(srv.URL, "http://") || srv.Config().SSL != nil {
		t.Fatalf("URL %s, SSL %+v", srv.URL, srv.Config().SSL)
	}
	if code, body := post(t, srv.Client(), srv.URL+"/commands/event", `{"event":"plain"}`); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
}

func TestCheckInWithoutProduct(t *testing.T) {
	srv := analyticstest.NewServer(t)
	post(t, srv.Client(), srv.URL+"/commands/event", `{"event":"x"}`)
	res, err := srv.Server().CheckIn(context.Background())
	if err != nil || res.Skipped == "" {
		t.Fatalf("CheckIn: %+v %v", res, err)
	}
	if n := len(srv.Events()); n != 0 {
		t.Errorf("%d events kept after a skipped check-in", n)
	}
}
