package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/internal/store/pgstore"
	"github.com/analytics-client/analytics/server"
)

const migrateUsage = "usage: analyticsd migrate --from-bbolt FILE --config PATH"

// runMigrate is `analyticsd migrate --from-bbolt FILE --config PATH`: it
// copies the bbolt store of a stopped service into the PostgreSQL database
// of the configuration's analytics.database section, and prints the counts.
// The copy is one transaction (see pgstore.Store.Import): interrupted, it
// leaves the database as it was and can simply be run again; a database
// that holds entries or received a copy already is refused. The file is
// opened read-only and left as it was. Exit status: 0 copied, 1 refused or
// failed, 2 usage.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyticsd migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from-bbolt", "", "the store file of the stopped service to copy (required)")
	config := fs.String("config", "", "Trapperkeeper configuration whose analytics.database receives the store (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *from == "" || *config == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "analyticsd migrate:", migrateUsage)
		return 2
	}
	if err := migrateStore(ctx, *from, *config, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "analyticsd migrate:", err)
		return 1
	}
	return 0
}

// migrateStore copies the store file from into the database of the
// configuration at config and prints the counts to out.
func migrateStore(ctx context.Context, from, config string, out, logTo io.Writer) error {
	cfg, err := loadConfig(config, nil)
	if err != nil {
		return err
	}
	if cfg.Database.URL == "" {
		return fmt.Errorf("config %s has no %s section: there is no database to copy the store into", config, keyDatabase)
	}
	if abs, err := filepath.Abs(from); err == nil {
		from = abs
	}
	src, err := boltstore.OpenReadOnly(from, store.Options{})
	if err != nil {
		return err // damaged, missing, or locked by the service
	}
	defer src.Close()
	cfg.Logger = slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelWarn}))
	interrupted := func(err error) error {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: nothing was copied (the copy is one transaction); run it again")
		}
		return err
	}
	pg, err := connect(ctx, cfg.Database, store.Options{Logger: cfg.Logger})
	if err != nil {
		return interrupted(err)
	}
	defer pg.Close()
	st, err := pg.Import(ctx, src, from)
	if err != nil {
		return interrupted(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "copied %s into the database %s:\n", from, databaseName(cfg.Database.URL))
	fmt.Fprintf(&b, "  events:           %d\n", st.Events)
	fmt.Fprintf(&b, "  snapshots:        %d\n", st.Snapshots)
	fmt.Fprintf(&b, "  idempotency keys: %d (%d expired, not copied)\n", st.Keys, st.ExpiredKeys)
	fmt.Fprintf(&b, "The file is left as it was: start the service with %s, then move the file away.\n", config)
	_, err = io.WriteString(out, b.String())
	return err
}

// connect opens the store in the database db names, with the defaults the
// service uses (server.DefaultDatabasePoolSize and ConnectTimeout).
func connect(ctx context.Context, db server.DatabaseConfig, opts store.Options) (*pgstore.Store, error) {
	timeout := db.ConnectTimeout
	if timeout <= 0 {
		timeout = server.DefaultDatabaseConnectTimeout
	}
	poolSize := db.PoolSize
	if poolSize <= 0 {
		poolSize = server.DefaultDatabasePoolSize
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	pg, err := pgstore.Connect(cctx, db.URL, poolSize, opts)
	if errors.Is(err, pgstore.ErrBadURL) {
		return nil, fmt.Errorf("%s.url: %w", keyDatabase, err)
	}
	return pg, err
}

// databaseName is host:port/dbname of a connection URL, without the
// credentials.
func databaseName(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "of " + keyDatabase
	}
	return p.Host + p.Path
}
