package analytics_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// The expiry of the client certificate in use is part of the Reporter's
// stats, for a monitoring check; the client also logs a WARN once a day
// when it is within 30 days. A renewed certificate file is loaded without
// a restart, and the figure moves with it.
func ExampleReporter_Stats() {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := pki.Generate(dir) // a throwaway CA; Puppet's files in an installation
	if err != nil {
		log.Fatal(err)
	}
	srv, err := server.New(server.Config{DataDir: dir, HTTPSAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
		TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(context.Background())
	if err := srv.Listen(context.Background()); err != nil {
		log.Fatal(err)
	}
	client, err := analytics.New(analytics.Config{URL: srv.URL(),
		SSL: &analytics.SSLOpts{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}})
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer reporter.Close(context.Background())

	left := time.Until(reporter.Stats().CertExpiry)
	fmt.Println("client certificate valid for more than 30 days:", left > 30*24*time.Hour)
	// Output:
	// client certificate valid for more than 30 days: true
}
