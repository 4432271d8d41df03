package server_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/server"
)

// A backup while the service runs: the copy is taken in one read
// transaction, so writes go on meanwhile. analyticsd serves it to
// `analyticsd backup` over a unix socket only root and its own user reach.
func ExampleServer_Backup() {
	dir, err := os.MkdirTemp("", "analytics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	srv, err := server.New(server.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close(context.Background())

	f, err := os.Create(filepath.Join(dir, "backup.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	n, err := srv.Backup(context.Background(), f)
	fmt.Println(n > 0, err)
	// Output: true <nil>
}
