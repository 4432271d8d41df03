package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/analytics-client/analytics/analyticstest"
)

// TestMain fails the package if any test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestHello runs the example against the real service over mutual TLS:
// the event and the snapshot arrive as sent, and it says so.
func TestHello(t *testing.T) {
	srv := analyticstest.NewServer(t)
	var out bytes.Buffer
	if err := run(context.Background(), srv.Config(), &out); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "delivered 2 items\n"; got != want {
		t.Errorf("output %q, want %q", got, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events, err := srv.WaitEvents(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e := events[0]; e.Event != "hello.greeted" || e.Metadata["greeting"] != "world" {
		t.Errorf("stored event %+v, want hello.greeted with greeting=world", e)
	}
	snaps, err := srv.WaitSnapshots(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snaps[0]["hello.workers"]; !ok || len(snaps[0]) != 2 {
		t.Errorf("stored snapshot %v, want hello.workers and hello.tags", snaps[0])
	}
}

// TestHelloUnreachable: with no service the example returns the error
// instead of reporting success.
func TestHelloUnreachable(t *testing.T) {
	srv := analyticstest.NewServer(t)
	cfg := srv.Config()
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, cfg, &out); err == nil || out.Len() != 0 {
		t.Errorf("run against a stopped service: error %v, output %q; want an error and no output", err, out.String())
	}
}
