package analytics_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
)

// A command that times out is not sent again: the service may have stored
// it, and a second send could store it twice (with a key the JVM service
// ignores). The call returns the timeout after exactly one POST.
func TestClientDoesNotResendAfterTimeout(t *testing.T) {
	var posts atomic.Int32
	ep := ""
	p := newPeer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			io.WriteString(w, ep)
			return
		}
		posts.Add(1)
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done() // never answers: the client's timeout ends it
	}))
	ep = entrypointJSON(p.srv.URL)
	cfg := p.config()
	cfg.Timeout = 300 * time.Millisecond
	c := newClient(t, cfg)
	_, err := c.StoreEvent(context.Background(), analytics.Event{Name: "test.timeout"})
	if err == nil {
		t.Fatal("StoreEvent succeeded against a service that never answers")
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the command was posted %d times, want 1 (%v)", n, err)
	}
}

// The client reads at most 8 MiB of an answer: a larger one is an error,
// not a body held in memory whole.
func TestClientBoundsResponseSize(t *testing.T) {
	ep := ""
	pad := strings.Repeat("x", 9<<20)
	p := newPeer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, ep)
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"event":"test.big","metadata":{"pad":"`+pad+`"},"timestamp":"2026-11-29T18:56:39.790Z"}`)
	}))
	ep = entrypointJSON(p.srv.URL)
	c := newClient(t, p.config())
	res, err := c.StoreEvent(context.Background(), analytics.Event{Name: "test.big"})
	if err == nil {
		t.Fatalf("a 9 MiB answer was read whole: %d bytes of metadata", len(res.Metadata["pad"].(string)))
	}
}
