package server_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// The default rules, as the service applies them when Config.Authorization
// is nil; "puppet.example.com" is the service's own certname.
func ExampleDefaultRules() {
	for _, r := range server.DefaultRules("/analytics", "puppet.example.com") {
		fmt.Printf("%d %q %s allow=%v deny=%v\n", r.SortOrder, r.Name, r.Type, r.Allow, r.Deny)
	}
	// Output:
	// 500 "analytics clients" regex allow=[*] deny=[]
	// 500 "analytics operators" regex allow=[puppet.example.com] deny=[]
	// 999 "analytics deny everything else" path allow=[] deny=[*]
}

// Rules in the trapperkeeper-authorization format: over plain HTTP (which
// identifies nobody) anyone may read the entrypoint, ahead of the default
// rules, which refuse unauthenticated commands with 403.
func ExampleRule() {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rules := append([]authz.Rule{{
		Name: "public entrypoint", SortOrder: 100,
		Type: authz.PathRegex, Path: "^/analytics/?$", Methods: []string{"get"},
		AllowUnauthenticated: true,
	}}, server.DefaultRules("/analytics")...)
	srv, err := server.New(server.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0",
		Authorization: rules, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := srv.Listen(ctx); err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	entry, err := http.Get(srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	entry.Body.Close()
	event, err := http.Post(srv.URL()+"/commands/event", "application/json", strings.NewReader(`{"event":"e"}`))
	if err != nil {
		log.Fatal(err)
	}
	event.Body.Close()
	fmt.Println(entry.StatusCode, event.StatusCode)

	cancel()
	<-served
	if err := srv.Close(context.Background()); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 200 403
}
