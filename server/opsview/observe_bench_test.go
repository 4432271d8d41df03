package opsview_test

import (
	"net/http"
	"testing"
)

// nopWriter is a ResponseWriter that keeps nothing, so that the benchmark
// measures the wrapper alone.
type nopWriter struct{ h http.Header }

func (w nopWriter) Header() http.Header         { return w.h }
func (w nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w nopWriter) WriteHeader(int)             {}

// BenchmarkObserve measures what counting a request in the metrics adds
// to it (the access log off, as by default): the "bare" case is the
// handler alone.
func BenchmarkObserve(b *testing.B) {
	f := newFixture(b, nil)
	body := []byte(`{"event":"e","timestamp":"2026-11-29T18:56:39.790Z"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
	req, _ := http.NewRequest(http.MethodPost, "https://localhost/analytics/commands/event", nil)
	w := nopWriter{h: http.Header{}}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"bare", h}, {"observed", f.v.Observe(h, func(*http.Request) string { return "event" })}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(w, req)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
		})
	}
}
