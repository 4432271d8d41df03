package analyticstest_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// A test starts a service, points the code under test at srv.Config() (or
// uses srv.Client() directly, as here) and checks what arrived.
func ExampleNewServer() {
	testReport := func(t *testing.T) {
		srv := analyticstest.NewServer(t) // stopped when the test ends

		// analytics.New(srv.Config()) would build a client for it.
		resp, err := srv.Client().Post(srv.URL+"/commands/event", "application/json",
			strings.NewReader(`{"event":"app.started","metadata":{"version":"1.0"}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("event answered %s", resp.Status)
		}

		events := srv.Events()
		if len(events) != 1 || events[0].Event != "app.started" {
			t.Errorf("events: %+v", events)
		}
	}
	_ = testReport // run by "go test" as func TestReport(t *testing.T)
}

// TestExample runs ExampleNewServer's test body for real.
func TestExample(t *testing.T) {
	srv := analyticstest.NewServer(t)
	resp, err := srv.Client().Post(srv.URL+"/commands/event", "application/json",
		strings.NewReader(`{"event":"app.started","metadata":{"version":"1.0"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if events := srv.Events(); resp.StatusCode != 200 || len(events) != 1 || events[0].Event != "app.started" {
		t.Errorf("%s, events %+v", resp.Status, events)
	}
}

// A program that reports through our client rides through a CA rotation:
// the test rotates the service's CA and certificates, and the client,
// configured from srv.Config(), loads the new files by itself.
func ExampleServer_RotateCertificates() {
	testRotation := func(t *testing.T) {
		srv := analyticstest.NewServer(t)
		client, err := analytics.New(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		ctx := context.Background()
		if _, err := client.StoreEvent(ctx, analytics.Event{Name: "before.rotation"}); err != nil {
			t.Fatal(err)
		}

		srv.RotateCertificates() // new CA, new certificates; the old ones no longer verify

		if _, err := client.StoreEvent(ctx, analytics.Event{Name: "after.rotation"}); err != nil {
			t.Fatalf("after the rotation: %v", err)
		}
	}
	_ = testRotation // run by "go test" as func TestRotation(t *testing.T)
}

// A middleware sees each request as the service does, client certificate
// included.
func ExampleWithMiddleware() {
	testCertname := func(t *testing.T) {
		var mu sync.Mutex
		var names []string
		srv := analyticstest.NewServer(t, analyticstest.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
					mu.Lock()
					names = append(names, r.TLS.PeerCertificates[0].Subject.CommonName)
					mu.Unlock()
				}
				next.ServeHTTP(w, r)
			})
		}))
		_ = srv // report through analytics.New(srv.Config()), then look at names
	}
	_ = testCertname
}
