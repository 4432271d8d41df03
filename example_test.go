package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// startService runs the real analytics service in-process over plain HTTP,
// so the examples below run as they are written; plain HTTP identifies no
// client, so its rule lets anyone in. A real installation would use an
// https:// URL with SSL settings instead (see ExampleNew).
func startService() (url string, stop func()) {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler),
		Authorization: []authz.Rule{{Name: "examples", SortOrder: 1, Type: authz.PathPrefix,
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

// startClient returns a client of a service started with startService.
func startClient() (*analytics.Client, func()) {
	url, stop := startService()
	client, err := analytics.New(analytics.Config{URL: url})
	if err != nil {
		log.Fatal(err)
	}
	return client, func() {
		client.Close()
		stop()
	}
}

func ExampleNew() {
	// In a Puppet installation the settings come from the service's own
	// configuration (see LoadConfig); written out, they look like this.
	cfg := analytics.Config{
		URL: "https://puppet.example:8140/analytics",
		SSL: &analytics.SSLOpts{
			CertFile: "/etc/puppetlabs/puppet/ssl/certs/myhost.pem",
			KeyFile:  "/etc/puppetlabs/puppet/ssl/private_keys/myhost.pem",
			CAFile:   "/etc/puppetlabs/puppet/ssl/certs/ca.pem",
		},
	}
	_, err := analytics.New(cfg)
	var ce *analytics.ConfigError
	if errors.As(err, &ce) {
		// Those files do not exist here, and New says so before any traffic.
		fmt.Println(ce.Field, "-", ce.Reason)
	}
	// Output:
	// ssl-opts.ssl-cert - does not exist
}

func ExampleClient_StoreSnapshot() {
	client, stop := startClient()
	defer stop()

	res, err := client.StoreSnapshot(context.Background(), analytics.Snapshot{Fields: analytics.Fields{
		"puppetserver.metric1": "value",
		"puppetserver.metric2": 1337,
		"puppetserver.metric3": []string{"123", "456"},
		"puppetserver.metric4": map[string]string{"something": "extra"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.StatusCode, len(res.Accepted), "fields accepted,", len(res.Rejected), "rejected")
	fmt.Println("metric2 =", res.Accepted["puppetserver.metric2"].Value)
	// Output:
	// 200 4 fields accepted, 0 rejected
	// metric2 = 1337
}

func ExampleClient_StoreEvent() {
	client, stop := startClient()
	defer stop()

	res, err := client.StoreEvent(context.Background(), analytics.Event{
		Name: "puppetserver.some-event",
		Metadata: analytics.Fields{
			"property1": "value",
			"property2": 1337,
			"property3": []string{"123", "456"},
			"property4": map[string]string{"some": "value"},
		},
	})
	switch {
	case errors.Is(err, analytics.ErrUnreachable):
		return // the service is away: nothing to report, not a failure
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println(res.Event, res.Metadata["property4"], time.Since(res.Timestamp) < time.Minute)
	// Output:
	// puppetserver.some-event map[some:value] true
}

func ExampleClient_StoreEvent_validation() {
	client, err := analytics.New(analytics.Config{URL: "http://127.0.0.1:1/analytics"})
	if err != nil {
		log.Fatal(err)
	}
	// Nothing is sent: a map inside a map is deeper than the value model.
	_, err = client.StoreEvent(context.Background(), analytics.Event{
		Name:     "puppetserver.some-event",
		Metadata: analytics.Fields{"property4": map[string]any{"x": map[string]int{"y": 1}}},
	})
	fmt.Println(err)
	// Output:
	// analytics: invalid metadata.property4.x: too deep: a map may not contain a map
}

func ExampleClient_Entrypoint() {
	client, stop := startClient()
	defer stop()
	ep, err := client.Entrypoint(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	eventURL, _ := ep.CommandURL("event")
	fmt.Println(ep.Commands(), strings.HasSuffix(eventURL, "/analytics/commands/event"))
	// Output:
	// [event snapshot] true
}

// The typical program: one Reporter for the life of the process, a
// periodic snapshot of its state, events from the hot path, and Close on
// shutdown.
func ExampleNewReporter() {
	client, stop := startClient()
	defer stop()

	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{
		// Dir: "/var/lib/myd/analytics", // durable: survives crashes and restarts
	})
	if err != nil {
		log.Fatal(err)
	}

	// State, every hour (and once now).
	reporter.ReportSnapshots(time.Hour, func(ctx context.Context) (analytics.Snapshot, error) {
		return analytics.Snapshot{Fields: analytics.Fields{"myd.workers": 4}}, nil
	})

	// The hot path: returns at once and never waits for the network.
	for i := 0; i < 3; i++ {
		if err := reporter.Event(analytics.Event{Name: "myd.request.served"}); err != nil {
			slog.Warn("analytics event not queued", "error", err)
		}
	}

	// Shutdown: deliver what is queued, within a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := reporter.Close(ctx); err != nil {
		log.Print(err)
	}
	st := reporter.Stats()
	fmt.Println("sent:", st.Sent, "pending:", st.QueueDepth)
	// Output:
	// sent: 4 pending: 0
}

// A retry under the same key is stored once by our service, which answers
// it with the first answer.
func ExampleWithIdempotencyKey() {
	client, stop := startClient()
	defer stop()

	ctx := analytics.WithIdempotencyKey(context.Background(), "job-42-finished")
	first, err := client.StoreEvent(ctx, analytics.Event{Name: "myd.job.finished"})
	if err != nil {
		log.Fatal(err)
	}
	again, err := client.StoreEvent(ctx, analytics.Event{Name: "myd.job.finished"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first.Timestamp.Equal(again.Timestamp))
	// Output:
	// true
}

// Flush waits until everything queued so far is delivered, or says how
// much is still pending when its context ends.
func ExampleReporter_Flush() {
	client, stop := startClient()
	defer stop()
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer reporter.Close(context.Background())

	for i := 0; i < 100; i++ {
		reporter.Event(analytics.Event{Name: "myd.tick", Metadata: analytics.Fields{"i": i}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reporter.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("delivered:", reporter.Stats().Sent)
	// Output:
	// delivered: 100
}

func ExampleKind() {
	fmt.Println(analytics.KindEvent, analytics.KindSnapshot.Collection())
	// Output: event snapshots
}
