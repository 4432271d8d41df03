package analyticstest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticstest"
)

// A test starts a service, points the code under test at srv.Config() and
// checks what arrived. The test function runs here as "go test" would run
// it.
func ExampleNewServer() {
	testReport := func(t testing.TB) {
		srv := analyticstest.NewServer(t) // stopped when the test ends

		client, err := analytics.New(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		ev := analytics.Event{Name: "app.started", Metadata: analytics.Fields{"version": "1.0"}}
		if _, err := client.StoreEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}

		for _, e := range srv.Events() {
			fmt.Println(e.Event, e.Metadata["version"])
		}
	}
	runTest(testReport)
	// Output: app.started 1.0
}

// A program that reports through our client rides through a CA rotation:
// the test rotates the service's CA and certificates, and the client,
// configured from srv.Config(), loads the new files by itself.
func ExampleServer_RotateCertificates() {
	testRotation := func(t testing.TB) {
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
		fmt.Println(len(srv.Events()), "events")
	}
	runTest(testRotation)
	// Output: 2 events
}

// A middleware sees each request as the service does, client certificate
// included.
func ExampleWithMiddleware() {
	testCertname := func(t testing.TB) {
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
		client, err := analytics.New(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if _, err := client.StoreEvent(context.Background(), analytics.Event{Name: "hello"}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Println(slices.Compact(names))
	}
	runTest(testCertname)
	// Output: [analytics-client]
}

// runTest runs test with a testing.TB of its own, as "go test" would run
// func TestX(t *testing.T) { test(t) }: TempDir, Cleanup (run when test
// returns), and failures, which end the example with a panic.
func runTest(test func(testing.TB)) {
	t := &exampleTB{}
	defer t.cleanup()
	test(t)
}

// exampleTB is the part of testing.TB that tests of analyticstest use.
// The embedded interface is nil: a method it lacks panics.
type exampleTB struct {
	testing.TB
	dirs     []string
	cleanups []func()
}

func (t *exampleTB) Helper()                   {}
func (t *exampleTB) Cleanup(f func())          { t.cleanups = append(t.cleanups, f) }
func (t *exampleTB) Logf(string, ...any)       {}
func (t *exampleTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *exampleTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (t *exampleTB) Fatal(a ...any)            { panic(fmt.Sprint(a...)) }

func (t *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "analyticstest-example-")
	if err != nil {
		panic(err)
	}
	t.dirs = append(t.dirs, dir)
	return dir
}

func (t *exampleTB) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	for _, d := range t.dirs {
		os.RemoveAll(d)
	}
}
