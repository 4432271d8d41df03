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

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/internal/store/pgstore"
	"github.com/analytics-client/analytics/server"
)

// runCheck is `analyticsd check --config PATH`: it checks the configured
// store and prints its counts and every damaged entry, or says what is
// wrong. A bbolt file is opened read-only (the check writes nothing, and
// works on a read-only mount) and needs the service stopped, which holds
// it locked; a PostgreSQL database is read in one read-only transaction
// while the replicas run. Exit status: 0 sound (or no store yet), 1
// damaged or not readable, 2 usage.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyticsd check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "Trapperkeeper configuration of the service whose store to check (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *config == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "analyticsd check: usage: analyticsd check --config PATH")
		return 2
	}
	cfg, err := loadConfig(*config, nil)
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd check:", err)
		return 1
	}
	if err := checkStore(ctx, cfg, stdout); err != nil {
		fmt.Fprintln(stderr, "analyticsd check:", err)
		return 1
	}
	return 0
}

// errDamagedEntries is checkStore's error when entries fail their checksum.
var errDamagedEntries = errors.New("entries are damaged (listed above); the service sets them aside when it reads them")

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
	fmt.Fprintf(&b, "  file size:        %d bytes\n", stats.FileBytes)
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
	if limit > 0 {
		fmt.Fprintf(b, "  in use:           %d bytes of %d (analytics.max-store-bytes)\n", used, limit)
	} else {
		fmt.Fprintf(b, "  in use:           %d bytes (no limit)\n", used)
	}
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
