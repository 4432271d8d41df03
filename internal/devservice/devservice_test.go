package devservice_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devservice"
	"github.com/analytics-client/analytics/wire"
)

// TestDevService: the service comes up on the generated certificates, and
// the client configuration reaches it with the generated client
// certificate, which may store and call the operator endpoints; the
// certificates are made once and kept.
func TestDevService(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := devservice.Certificates(dir)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := devservice.Listen(ctx, devservice.Config(dir, "127.0.0.1:0", b, log))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	defer func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := srv.Close(cctx); err != nil {
			t.Error(err)
		}
		<-served
	}()

	client, err := analytics.New(devservice.ClientConfig(srv.URL(), b))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.StoreEvent(ctx, analytics.Event{Name: "dev.event"}); err != nil {
		t.Fatal(err)
	}
	st, err := client.Status(ctx)
	if err != nil {
		t.Fatalf("the generated client certificate is not an operator: %v", err)
	}
	if st.Store.Events != 1 || st.CheckIn.Mode != wire.ModeNoProduct || st.CheckIn.Next != nil {
		t.Errorf("status %+v", st)
	}

	again, err := devservice.Certificates(dir)
	if err != nil || *again != *b {
		t.Errorf("certificates made again: %+v, %v", again, err)
	}
}

// TestListenTaken: an address in use is an error naming it, and nothing
// is left open (goleak checks the rest).
func TestListenTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	b, err := devservice.Certificates(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = devservice.Listen(context.Background(), devservice.Config(dir, ln.Addr().String(), b, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err = %v, want EADDRINUSE", err)
	}
}
