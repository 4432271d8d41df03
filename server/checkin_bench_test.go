package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
)

// fillStore writes n events to the store file at path, 1000 per commit.
func fillStore(b *testing.B, path string, n int) {
	st, err := boltstore.Open(path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	recs := make([]store.Record, 1000)
	for done := 0; done < n; done += len(recs) {
		for i := range recs {
			recs[i] = store.Record{Kind: store.Events, Data: fmt.Appendf(nil,
				`{"event":"puppetserver.jruby.borrow","metadata":{"n":%d},"timestamp":"2026-11-29T18:56:39.790Z"}`, done+i)}
		}
		for _, r := range st.Append(context.Background(), recs) {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
}

// heapBytes is the live heap as the runtime counts it, read without
// stopping the world.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkCheckInMillionEvents uploads 1,000,000 stored events in one
// check-in and reports the heap's peak while the upload streams, sampled
// each time the update server has read another MiB. The update server
// answers 500 once it has read everything, so the entries stay and every
// iteration uploads all of them.
//
//	go test -run '^$' -bench CheckInMillionEvents -benchtime 1x ./server
func BenchmarkCheckInMillionEvents(b *testing.B) {
	const n = 1_000_000
	dir := b.TempDir()
	fillStore(b, filepath.Join(dir, boltstore.FileName), n)
	var peak, sent atomic.Uint64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1<<20)
		for {
			m, err := io.ReadFull(r.Body, buf)
			sent.Add(uint64(m))
			if h := heapBytes(); h > peak.Load() {
				peak.Store(h)
			}
			if err != nil {
				break
			}
		}
		http.Error(w, "kept for the benchmark", http.StatusInternalServerError)
	}))
	defer up.Close()
	ts := startServer(b, func(c *server.Config) {
		c.DataDir, c.UpdateServerURL = dir, up.URL
		c.CheckIn = server.CheckInConfig{Product: "puppetserver", Certname: "bench", ConfDir: b.TempDir(), Interval: -1}
		c.Logger = discard()
	})
	runtime.GC()
	base := heapBytes()
	for b.Loop() {
		sent.Store(0)
		if _, err := ts.srv.CheckIn(context.Background()); err == nil {
			b.Fatal("the update server's 500 was not reported")
		}
		if sent.Load() < n*80 {
			b.Fatalf("uploaded %d bytes for %d events", sent.Load(), n)
		}
	}
	b.ReportMetric(float64(n), "events")
	b.ReportMetric(float64(sent.Load())/(1<<20), "upload-MiB")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "heap-growth-MiB")
}
