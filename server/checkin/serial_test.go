package checkin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server/checkin"
)

// TestConcurrentCheckInsUploadOnce: two check-ins at once never upload the
// same entries. The upstream holds the first upload until the second
// check-in is either waiting for the first (serialised) or has reached the
// upstream itself (not serialised); then every stored event must have
// been received exactly once in all.
func TestConcurrentCheckInsUploadOnce(t *testing.T) {
	firstArrived, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var requests, events int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var up struct {
			SSA struct {
				Events []json.RawMessage `json:"events"`
			} `json:"self-service-analytics"`
		}
		_ = json.NewDecoder(r.Body).Decode(&up)
		mu.Lock()
		requests++
		events += len(up.SSA.Events)
		first := requests == 1
		mu.Unlock()
		if first {
			close(firstArrived)
			<-release
		}
		_, _ = io.WriteString(w, `{}`)
	}))
	t.Cleanup(ts.Close)
	f := newFixture(t, func(c *checkin.Config) { c.UpdateServerURL = ts.URL })
	const stored = 5
	for range stored {
		f.store(t, store.Events, `{"event":"a.b","timestamp":"t1"}`)
	}
	ctx := context.Background()
	errs := make(chan error, 2)
	go func() { _, err := f.c.CheckIn(ctx); errs <- err }()
	<-firstArrived
	go func() { _, err := f.c.CheckIn(ctx); errs <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		second := requests >= 2
		mu.Unlock()
		if second || checkInWaitsOnLock() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second check-in neither waited for the first nor reached the upstream within 10 s")
		}
		runtime.Gosched()
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("CheckIn: %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if events != stored {
		t.Fatalf("the upstream received %d events in %d uploads, want each of the %d stored once", events, requests, stored)
	}
}

// checkInWaitsOnLock reports whether a goroutine is blocked on a mutex
// inside a check-in.
func checkInWaitsOnLock() bool {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sync.(*Mutex).Lock") && strings.Contains(g, "checkin.(*Checker).checkInOnce") {
			return true
		}
	}
	return false
}
