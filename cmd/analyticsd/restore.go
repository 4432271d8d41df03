package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/internal/store/boltstore"
)

// runRestore is `analyticsd restore [--config PATH] --from FILE`: it puts
// a backup in place of the stopped service's store. It refuses a damaged
// or foreign FILE and a running service, and never half-restores: the copy
// is written next to the store, synced, checked and renamed over it.
// Exit status: 0 restored, 1 refused or failed, 2 usage.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyticsd restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", packagedConfig, "Trapperkeeper configuration of the service to restore")
	from := fs.String("from", "", "backup file made by analyticsd backup (required)")
	if code, ok := parseSub(fs, args); !ok {
		return code
	}
	if *from == "" {
		fmt.Fprintln(stderr, "analyticsd restore: usage: analyticsd restore [--config PATH] --from FILE")
		return 2
	}
	cfg, err := loadConfig(*config, nil)
	if err == nil && pgConfigured(cfg) {
		err = errors.New(pgDumpAdvice)
	}
	if err == nil {
		err = restore(ctx, *from, cfg.DataDir, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd restore:", err)
		return 1
	}
	return 0
}

// errServiceRunning refuses a restore under a running service.
var errServiceRunning = errors.New("the service is running: stop it first (systemctl stop analyticsd), then restore")

// restore replaces the store in dir with the backup at from.
func restore(ctx context.Context, from, dir string, out io.Writer) error {
	target := filepath.Join(dir, boltstore.FileName)
	conn, err := dialBackup(ctx, filepath.Join(dir, backupSocketName))
	if err == nil {
		conn.Close()
		return errServiceRunning
	}
	if !errors.Is(err, errNoService) {
		return err
	}
	stats, err := boltstore.CheckCopy(ctx, from)
	if err != nil {
		var de *boltstore.DamagedError
		if errors.As(err, &de) {
			return fmt.Errorf("%s is not a sound backup of this service, %s is left as it was: %s", from, target, de.Problem)
		}
		return fmt.Errorf("%s cannot be restored: %w", from, err)
	}
	unlock, err := lockStoreFile(target) // refuses a file another process holds
	if err != nil {
		return err
	}
	unlock()
	if err := boltstore.ApplyLog(target); err != nil { // a crash's log, into the file it belongs to
		return err
	}
	if unlock, err = lockStoreFile(target); err != nil {
		return err
	}
	defer unlock()
	if err := boltstore.DropLog(target); err != nil {
		return err
	}
	fill := func(f *os.File) error {
		src, err := os.Open(from)
		if err != nil {
			return err
		}
		defer src.Close()
		if _, err := io.Copy(f, src); err != nil {
			return err
		}
		return ownLike(f, dir) // the service's user must own it, not whoever restores
	}
	check := func(tmp string) error {
		if _, err := boltstore.CheckCopy(ctx, tmp); err != nil {
			return fmt.Errorf("the copied file fails its check, %s is left as it was: %w", target, err)
		}
		return nil
	}
	if err := replaceFile(target, fill, check); err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: restored from %s: %d events, %d snapshots, %d idempotency keys; start the service again\n",
		target, from, stats.Events, stats.Snapshots, stats.Keys)
	return err
}
