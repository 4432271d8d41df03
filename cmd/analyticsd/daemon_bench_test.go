package main

import (
	"context"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/loadgen"
)

// BenchmarkDaemon runs analyticsd as its own process, as an installation
// does, and reports its start-up time (process start to the first 200), the
// events/s that 8 keep-alive mTLS clients store in it (each a durable 200),
// and the process's peak resident set size under that load.
func BenchmarkDaemon(b *testing.B) {
	bin, dir := buildDaemon(b), b.TempDir()
	// The very first start creates the throwaway CA; an installation's
	// starts are the later ones.
	if err := startChild(b, bin, dir).stop(b, syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	begin := time.Now()
	d := startChild(b, bin, dir)
	probe := devClient(b, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !answers200(ctx, probe, d.url) {
		if ctx.Err() != nil {
			b.Fatal("analyticsd never answered 200")
		}
	}
	startup := time.Since(begin)

	const clients = 8
	cls := make([]*http.Client, clients)
	for i := range cls {
		cls[i] = devClient(b, dir)
	}
	body := []byte(`{"event":"bench.daemon","metadata":{"run":1337,"tags":["a","b"],"ok":true}}`)
	b.ResetTimer()
	elapsed, err := loadgen.Run(cls, d.url+"/commands/event", body, b.N, loadgen.OK)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if err := d.stop(b, syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	ru, _ := d.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(startup.Microseconds())/1000, "startup-ms")
	if ru != nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

func answers200(ctx context.Context, c *http.Client, url string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
