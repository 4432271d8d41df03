package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
)

// Close does not wait for Listen's whitelist fetch from a slow update
// server: the fetch holds no lock that Close needs, and Listen then fails
// with ErrServerClosed.
func TestCloseDuringWhitelistFetch(t *testing.T) {
	asked, release := make(chan struct{}, 1), make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-release
		http.NotFound(w, r)
	}))
	defer up.Close()
	defer close(release)
	srv, err := server.New(server.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", Logger: testLogger(t),
		CheckIn: server.CheckInConfig{Interval: -1}, UpdateServerURL: up.URL, FetchWhitelist: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	listened := make(chan error, 1)
	go func() { listened <- srv.Listen(context.Background()) }()
	select {
	case <-asked:
	case <-time.After(20 * time.Second):
		t.Fatal("Listen never asked the update server")
	}
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		closed <- srv.Close(ctx)
	}()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("Close waited for the whitelist fetch")
	}
	release <- struct{}{}
	if err := <-listened; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Listen = %v, want ErrServerClosed", err)
	}
}
