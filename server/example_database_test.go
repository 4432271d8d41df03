package server_test

import (
	"context"
	"fmt"
	"log"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server"
)

// Copying a stopped service's bbolt store into the database of a
// configuration, as analyticsd migrate does. (Not run: it needs a database.)
func ExampleOpenDatabase() {
	const path = "/opt/puppetlabs/server/data/analytics/analytics.db"
	src, err := store.OpenReadOnly(path, store.Options{})
	if err != nil {
		log.Fatal(err) // damaged, missing, or the service still runs
	}
	defer src.Close()
	pg, err := server.OpenDatabase(server.Config{Database: server.DatabaseConfig{
		URL: "postgres://analytics@db.example.net:5432/analytics?sslmode=verify-full"}}, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer pg.Close()
	st, err := pg.Import(context.Background(), src, path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Events, "events,", st.Snapshots, "snapshots,", st.Keys, "keys")
}
