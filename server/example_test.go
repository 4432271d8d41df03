package server_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/opsview"
)

// The service as a library: a plain HTTP listener on a free loopback port
// (an installation adds HTTPSAddr and TLS), one event stored, then a
// graceful stop. Plain HTTP identifies no client, so a rule lets anyone
// send events; the default rules would refuse them.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	srv, err := server.New(server.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
		Authorization: []authz.Rule{{Name: "anyone may send events", SortOrder: 1,
			Type: authz.PathPrefix, Path: "/analytics/commands/event", AllowUnauthenticated: true}}})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	resp, err := http.Post(srv.URL()+"/commands/event", "application/json", strings.NewReader(`{"event":"demo.hello"}`))
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.Contains(string(body), `"event":"demo.hello"`))

	cancel() // Serve stops gracefully when its context ends
	<-served
	if err := srv.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 200 true
}

func ExampleCheckAdminAddr() {
	fmt.Println(opsview.CheckAdminAddr("127.0.0.1:8141"))
	fmt.Println(opsview.CheckAdminAddr("0.0.0.0:8141") != nil)
	// Output:
	// <nil>
	// true
}
