package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/loadgen"
	"github.com/analytics-client/analytics/internal/pki"
)

// BenchmarkSlowBodyAttack runs analyticsd as its own process and holds
// the attack of issue 8 against it: 1,000 authenticated connections that
// each declare a 1 MiB body and trickle it, and 200 idle TLS connections.
// Each operation is then a normal command on a new connection, which must
// be answered within 1 s; the benchmark reports its latency (ns/op) and
// the process's peak resident set size (what /usr/bin/time -v reports).
func BenchmarkSlowBodyAttack(b *testing.B) {
	const slow, idle = 1000, 200
	if err := loadgen.RaiseFileLimit(slow + idle + 200); err != nil {
		b.Skip(err)
	}
	bin, dir := buildDaemon(b), b.TempDir()
	d := startChild(b, bin, dir)
	bundle, err := pki.LoadOrGenerate(filepath.Join(dir, devenv.PKIDir))
	if err != nil {
		b.Fatal(err)
	}
	tc, err := bundle.ClientTLSConfig()
	if err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(d.url)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := loadgen.NewAttack(u.Host, tc)
	defer a.Close()
	if err := a.Prime(ctx, d.url); err != nil {
		b.Fatal(err)
	}
	if err := a.SlowBodies(ctx, slow, d.url+"/commands/event", 1<<20, []byte(`{"event":"slow","metadata":{"p":"`)); err != nil {
		b.Fatal(err)
	}
	if err := a.Idle(ctx, idle); err != nil {
		b.Fatal(err)
	}
	if err := a.Trickle([]byte("xxxxxxxx")); err != nil {
		b.Fatal(err)
	}

	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	b.ResetTimer()
	for range b.N {
		if err := postWithin(ctx, tr, d.url+"/commands/event", `{"event":"normal"}`, time.Second); err != nil {
			b.Fatalf("a normal command during the attack: %v", err)
		}
	}
	b.StopTimer()
	a.Close()
	if err := d.stop(b, syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	if ru, ok := d.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
}

// postWithin POSTs body to url on a new connection and wants a 200
// within wait.
func postWithin(ctx context.Context, rt http.RoundTripper, url, body string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return &statusError{resp.StatusCode}
	}
	return nil
}

type statusError struct{ status int }

func (e *statusError) Error() string { return "status " + http.StatusText(e.status) }
