// Command hello reports an event and a snapshot through a Reporter to the
// analytics service named by ANALYTICS_URL, with the client certificate,
// key and CA bundle named by ANALYTICS_SSL_CERT, ANALYTICS_SSL_KEY and
// ANALYTICS_SSL_CA_CERT, and waits until both are delivered.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/analytics-client/analytics"
)

func main() {
	cfg := analytics.Config{
		URL: os.Getenv("ANALYTICS_URL"),
		SSL: &analytics.SSLOpts{
			CertFile: os.Getenv("ANALYTICS_SSL_CERT"),
			KeyFile:  os.Getenv("ANALYTICS_SSL_KEY"),
			CAFile:   os.Getenv("ANALYTICS_SSL_CA_CERT"),
		},
	}
	if err := run(context.Background(), cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run reports as a long-running program should: Event and Snapshot never
// wait for the network, and Flush and Close deliver before their deadline.
func run(ctx context.Context, cfg analytics.Config, out io.Writer) error {
	client, err := analytics.New(cfg) // names the setting and file it cannot use
	if err != nil {
		return err
	}
	defer client.Close()
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{})
	if err != nil {
		return err
	}
	err = reporter.Event(analytics.Event{Name: "hello.greeted",
		Metadata: analytics.Fields{"greeting": "world", "count": 3}})
	if err == nil {
		err = reporter.Snapshot(analytics.Snapshot{Fields: analytics.Fields{
			"hello.workers": 4, "hello.tags": []string{"a", "b"}}})
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err == nil {
		err = reporter.Flush(ctx) // everything enqueued so far is delivered
	}
	if cerr := reporter.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "delivered %d items\n", reporter.Stats().Sent)
	return nil
}
