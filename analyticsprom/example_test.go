package analyticsprom_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/analyticsprom"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The collector is registered like any other; a program usually serves
// the registry with promhttp at /metrics.
func ExampleNewCollector() {
	url, stop := startService()
	defer stop()
	client, err := analytics.New(analytics.Config{URL: url})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer reporter.Close(context.Background())

	reg := prometheus.NewRegistry()
	reg.MustRegister(analyticsprom.NewCollector(reporter, nil))
	_ = promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) // serve it at /metrics

	reporter.Event(analytics.Event{Name: "myd.started"})
	if err := reporter.Flush(context.Background()); err != nil {
		log.Fatal(err)
	}
	n, _ := testutil.GatherAndCount(reg, "analytics_reporter_sent_total")
	fmt.Println("series:", n, "sent:", reporter.Stats().Sent)
	// Output: series: 1 sent: 1
}

// startService runs the analytics service in-process over plain HTTP.
func startService() (url string, stop func()) {
	dir, err := os.MkdirTemp("", "analyticsprom-example-")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler),
		Authorization: []authz.Rule{{Name: "example", SortOrder: 1, Type: authz.PathPrefix,
			Path: "/analytics", AllowUnauthenticated: true}}})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	return ts.URL + "/analytics", func() {
		ts.Close()
		srv.Close(context.Background())
		os.RemoveAll(dir)
	}
}
