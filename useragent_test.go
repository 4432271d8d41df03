package analytics_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/analytics-client/analytics"
)

// TestUserAgentNamesTheVersion checks that every request, the entrypoint
// GET and the command POST, says which client and version sent it, so a
// service's access log can tell the clients in use apart.
func TestUserAgentNamesTheVersion(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	s := &scripted{status: 200, body: `{}`}
	p := newPeer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	c := newClient(t, p.config())
	if _, err := c.StoreEvent(context.Background(), analytics.Event{Name: "a.b"}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) != 2 {
		t.Fatalf("the service saw %d requests, want 2 (entrypoint and event)", len(agents))
	}
	for _, a := range agents {
		// Unstamped in tests; a packaged build says analytics-go/1.2.3.
		if a != "analytics-go/devel" {
			t.Errorf("User-Agent %q, want analytics-go/devel", a)
		}
	}
}
