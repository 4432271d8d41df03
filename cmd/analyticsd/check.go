package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/analytics-client/analytics/internal/bytesize"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/internal/store/pgstore"
	"github.com/analytics-client/analytics/server"
)

// checkUsage is analyticsd check --help.
const checkUsage = `Usage: analyticsd check [--config PATH | --data-dir DIR]

Check a store and print its counts and every damaged entry: a bbolt file
gets the full consistency check (the one the service runs at start) and
every entry's checksum, opened read-only (nothing is written, a read-only
mount works; the service must be stopped, it holds the file locked); a
PostgreSQL database (analytics.database in --config) gets its schema
version, counts and checksums checked in one read-only transaction while
the replicas run.

  --config PATH   the store of the service this Trapperkeeper configuration
                  runs (analytics.data-directory)
  --data-dir DIR  the store of the development service run with this
                  --data-dir
  (neither)       the development service's store at its default location,
                  the user cache directory's analytics-dev

Exit status: 0 sound (or no store yet), 1 damaged or not readable, 2 usage
error.
`

// runCheck is analyticsd check: it opens the store of --config, of
// --data-dir or of the development service (which runs the full
// consistency check) and prints its counts and every damaged entry, or says
// what is wrong. A bbolt file is opened read-only and needs the service
// stopped, which holds it locked; a PostgreSQL database is read in one
// read-only transaction. Exit status: 0 sound (or no store yet), 1 damaged
// or not readable, 2 usage.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyticsd check", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the usage is checkUsage, errors one line
	config := fs.String("config", "", "")
	dataDir := fs.String("data-dir", "", "")
	usageError := func(msg string) int {
		fmt.Fprintf(stderr, "analyticsd check: %s (see analyticsd check --help)\n", msg)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, checkUsage)
			return 0
		}
		return usageError(err.Error())
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected arguments: " + strings.Join(fs.Args(), " "))
	case *config != "" && *dataDir != "":
		return usageError("give --config or --data-dir, not both")
	}
	cfg, err := checkTarget(*config, *dataDir, stdout)
	if err == nil {
		err = checkStore(ctx, cfg, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd check:", err)
		return 1
	}
	return 0
}

// errDamagedEntries is checkStore's error when entries fail their checksum.
var errDamagedEntries = errors.New("entries are damaged (listed above); the service sets them aside when it reads them")

// checkTarget is the configuration whose store check reads: --config's,
// or the development service's in --data-dir or its default directory,
// which it names on out.
func checkTarget(config, dataDir string, out io.Writer) (server.Config, error) {
	if config != "" {
		return loadConfig(config, nil)
	}
	if dataDir == "" {
		if dataDir = devenv.DefaultDir(); dataDir == "" {
			return server.Config{}, errors.New("no user cache directory for the development store ($XDG_CACHE_HOME or $HOME unset); pass --data-dir or --config")
		}
		fmt.Fprintf(out, "checking the development service's store in %s (analyticsd with no --config; --config PATH checks a configured service's)\n", dataDir)
	}
	return server.Config{DataDir: dataDir}, nil
}

// checkStore checks the store of cfg and prints its counts to out: the
// PostgreSQL database when one is configured, else the bbolt file, which it
// opens read-only and never writes.
func checkStore(ctx context.Context, cfg server.Config, out io.Writer) error {
	if cfg.Database.URL != "" {
		return checkDatabase(ctx, cfg, out)
	}
	path := filepath.Join(cfg.DataDir, boltstore.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(out, "%s: no store yet (the service creates it when it starts)\n", path)
		return nil
	}
	st, err := boltstore.OpenReadOnly(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	stats, err := st.Check(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	if len(stats.Damaged) == 0 {
		fmt.Fprintf(&b, "%s: sound (full consistency check and every entry's checksum passed)\n", path)
	} else {
		fmt.Fprintf(&b, "%s: %d damaged entries (the file's structure is sound)\n", path, len(stats.Damaged))
	}
	fmt.Fprintf(&b, "  events:           %d\n", stats.Events)
	fmt.Fprintf(&b, "  snapshots:        %d\n", stats.Snapshots)
	fmt.Fprintf(&b, "  idempotency keys: %d\n", stats.Keys)
	fmt.Fprintf(&b, "  file size:        %s\n", bytesize.Format(stats.FileBytes))
	writeRoom(&b, cfg, stats.UsedBytes)
	for _, d := range stats.Damaged {
		fmt.Fprintf(&b, "  damaged:          %s entry %d (fails its checksum)\n", d.Kind.Collection(), d.Seq)
	}
	for _, d := range stats.Quarantined {
		fmt.Fprintf(&b, "  quarantined:      %s entry %d (set aside earlier)\n", d.Kind.Collection(), d.Seq)
	}
	if _, err := io.WriteString(out, b.String()); err != nil {
		return err
	}
	if len(stats.Damaged) > 0 {
		return errDamagedEntries
	}
	return nil
}

// writeRoom prints the room in use against the configured limit.
func writeRoom(b *strings.Builder, cfg server.Config, used int64) {
	limit := cfg.MaxStoreBytes
	if limit == 0 {
		limit = server.DefaultMaxStoreBytes
	}
	fmt.Fprintf(b, "  in use:           %s", bytesize.Of(used, limit))
	if limit > 0 {
		b.WriteString(" (analytics.max-store-bytes)")
	}
	b.WriteString("\n")
}

// checkDatabase checks the configured PostgreSQL database read-only: its
// schema version, its counts against its rows, and every entry's checksum.
func checkDatabase(ctx context.Context, cfg server.Config, out io.Writer) error {
	r, err := pgstore.CheckURL(ctx, cfg.Database.URL)
	if errors.Is(err, pgstore.ErrBadURL) {
		return errors.New("analytics.database: not a PostgreSQL connection string")
	}
	if err != nil {
		return err
	}
	var b strings.Builder
	state := "sound (counts agree with the rows, every entry's checksum passed)"
	if !r.Sound() {
		state = "DAMAGED (see below)"
	}
	fmt.Fprintf(&b, "database: %s\n", state)
	fmt.Fprintf(&b, "  schema version:   %d (this analyticsd knows %d)\n", r.Schema, r.Known)
	fmt.Fprintf(&b, "  events:           %d (counted %d)\n", r.Events, r.CountedEvents)
	fmt.Fprintf(&b, "  snapshots:        %d (counted %d)\n", r.Snapshots, r.CountedSnapshots)
	fmt.Fprintf(&b, "  idempotency keys: %d\n", r.Keys)
	writeRoom(&b, cfg, r.Bytes)
	if r.Bytes != r.Room {
		fmt.Fprintf(&b, "  room recomputed:  %d bytes, the store keeps %d\n", r.Room, r.Bytes)
	}
	if r.Unchecked > 0 {
		fmt.Fprintf(&b, "  unchecked:        %d entries without a checksum yet (the service computes them when it starts)\n", r.Unchecked)
	}
	for _, d := range r.Damaged {
		fmt.Fprintf(&b, "  damaged:          %s entry %d (fails its checksum)\n", d.Kind.Collection(), d.Seq)
	}
	for _, d := range r.Quarantined {
		fmt.Fprintf(&b, "  quarantined:      %s entry %d (set aside earlier)\n", d.Kind.Collection(), d.Seq)
	}
	if _, err := io.WriteString(out, b.String()); err != nil {
		return err
	}
	switch {
	case len(r.Damaged) > 0:
		return errDamagedEntries
	case !r.Sound():
		return errors.New("the database's counts disagree with its rows")
	}
	return nil
}
