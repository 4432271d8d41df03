package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
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
	body := `{"event":"bench.daemon","metadata":{"run":1337,"tags":["a","b"],"ok":true}}`
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for _, c := range cls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				resp, err := c.Post(d.url+"/commands/event", "application/json", strings.NewReader(body))
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = &http.ProtocolError{ErrorString: resp.Status}
					}
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
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
