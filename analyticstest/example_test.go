package analyticstest_test

import (
	"net/http"
	"strings"
	"testing"

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
