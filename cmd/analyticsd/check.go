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
	"github.com/analytics-client/analytics/server"
)

// runCheck is `analyticsd check --config PATH`: it opens the configured
// store (which runs the full consistency check) and prints its counts, or
// says what is wrong. It needs the service stopped, which holds the file
// locked. Exit status: 0 sound (or no store yet), 1 damaged or not
// readable, 2 usage.
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

// checkStore checks the store of cfg and prints its counts to out.
func checkStore(ctx context.Context, cfg server.Config, out io.Writer) error {
	path := filepath.Join(cfg.DataDir, boltstore.FileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(out, "%s: no store yet (the service creates it when it starts)\n", path)
		return nil
	}
	st, err := boltstore.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	stats, err := st.Check(ctx)
	if err != nil {
		return err
	}
	limit := cfg.MaxStoreBytes
	if limit == 0 {
		limit = server.DefaultMaxStoreBytes
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: sound (full consistency check passed)\n", path)
	fmt.Fprintf(&b, "  events:           %d\n", stats.Events)
	fmt.Fprintf(&b, "  snapshots:        %d\n", stats.Snapshots)
	fmt.Fprintf(&b, "  idempotency keys: %d\n", stats.Keys)
	fmt.Fprintf(&b, "  file size:        %d bytes\n", stats.FileBytes)
	if limit > 0 {
		fmt.Fprintf(&b, "  in use:           %d bytes of %d (analytics.max-store-bytes)\n", stats.UsedBytes, limit)
	} else {
		fmt.Fprintf(&b, "  in use:           %d bytes (no limit)\n", stats.UsedBytes)
	}
	_, err = io.WriteString(out, b.String())
	return err
}
