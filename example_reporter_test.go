package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/analytics-client/analytics"
)

// A durable reporter keeps what it could not deliver in its spool
// directory, private to the process's user. Close says when items are not
// on disk after all: the directory was lost and could not be recreated.
func ExampleReporter_Close() {
	client, stop := startClient()
	defer stop()
	dir, err := os.MkdirTemp("", "analytics-spool-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{
		Dir:           dir,
		MaxRetryAfter: 10 * time.Minute, // a service asking for a day waits this long
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := reporter.Event(analytics.Event{Name: "myd.started"}); errors.Is(err, analytics.ErrSpoolLost) {
		log.Print("analytics spool lost: ", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = reporter.Close(ctx)
	switch {
	case errors.Is(err, analytics.ErrSpoolLost):
		log.Print("undelivered analytics are not on disk: ", err)
	case err != nil:
		log.Print(err) // e.g. a callback still running at the deadline
	}
	fi, _ := os.Stat(dir)
	fmt.Println("sent:", reporter.Stats().Sent, "spool mode:", fi.Mode().Perm())
	// Output:
	// sent: 1 spool mode: -rwx------
}

// A producer that must not lose events waits for room instead of getting
// ErrQueueFull: here a small queue takes 1,000 events as fast as the
// service stores them, bounded by a context.
func ExampleReporter_EventWait() {
	client, stop := startClient()
	defer stop()
	reporter, err := analytics.NewReporter(client, analytics.ReporterOptions{MaxBytes: 4 << 10})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 1000 {
		if err := reporter.EventWait(ctx, analytics.Event{Name: "myd.job.done", Metadata: analytics.Fields{"n": i}}); err != nil {
			log.Fatal(err) // ctx ended, or the reporter was closed
		}
	}
	if err := reporter.Close(ctx); err != nil {
		log.Fatal(err)
	}
	st := reporter.Stats()
	fmt.Println("sent:", st.Sent, "refused:", st.Dropped[analytics.DropQueueFull])
	// Output:
	// sent: 1000 refused: 0
}

// SyncPeriodic trades the last second of events in a crash for an enqueue
// without a system call.
func ExampleSyncPolicy() {
	fmt.Println(analytics.SyncEach, analytics.SyncPeriodic)
	// Output:
	// each periodic
}
