package analytics_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
)

// BenchmarkStoreEvent measures the client itself: sequential StoreEvent
// calls over mutual TLS to an in-process peer that answers at once, so the
// figure is the client's cost (validation, encoding, one keep-alive
// request, decoding), not the service's fsync.
func BenchmarkStoreEvent(b *testing.B) {
	const answer = `{"event":"puppetserver.some-event","metadata":{"property1":"value"},"timestamp":"2026-11-29T18:56:39.790Z"}`
	ep := ""
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, ep)
			return
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, answer)
	})
	p := newPeer(b, h)
	ep = entrypointJSON(p.srv.URL)
	c, err := analytics.New(p.config())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ev := analytics.Event{Name: "puppetserver.some-event", Metadata: analytics.Fields{"property1": "value", "property2": 1337}}
	if _, err := c.StoreEvent(ctx, ev); err != nil { // handshake and entrypoint outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.StoreEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkValidate(b *testing.B) {
	s := analytics.Snapshot{Fields: analytics.Fields{
		"puppetserver.metric1": "value",
		"puppetserver.metric2": 1337,
		"puppetserver.metric3": []string{"123", "456"},
		"puppetserver.metric4": map[string]string{"something": "extra"},
		"puppetserver.metric5": []any{map[string]any{"a": strings.Repeat("x", 10)}},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
