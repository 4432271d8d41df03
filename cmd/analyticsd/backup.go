package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/server"
)

// packagedConfig is the configuration the package installs and the unit
// runs with: the default of backup and restore.
const packagedConfig = "/etc/analyticsd/analyticsd.conf"

// pgDumpAdvice is what backup and restore say for a PostgreSQL store.
const pgDumpAdvice = `the store is the PostgreSQL database of analytics.database, which this command does not copy.
Back it up with PostgreSQL's own tools, e.g.
    pg_dump --format=custom --file=analytics.dump "$DATABASE_URL"
and restore it (service stopped) with
    pg_restore --clean --if-exists --dbname="$DATABASE_URL" analytics.dump`

// runBackup is `analyticsd backup [--config PATH] --to FILE`: a consistent
// copy of the store, from the running service over its backup socket, or
// from the file itself when no service runs. The copy is checked before it
// replaces FILE. Exit status: 0 copied, 1 failed or PostgreSQL, 2 usage.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyticsd backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", packagedConfig, "Trapperkeeper configuration of the service to back up")
	to := fs.String("to", "", "file to write the copy to (replaced atomically; required)")
	if code, ok := parseSub(fs, args); !ok {
		return code
	}
	if *to == "" {
		fmt.Fprintln(stderr, "analyticsd backup: usage: analyticsd backup [--config PATH] --to FILE")
		return 2
	}
	cfg, err := loadConfig(*config, nil)
	if err == nil && pgConfigured(cfg) {
		err = errors.New(pgDumpAdvice)
	}
	if err == nil {
		err = backup(ctx, cfg.DataDir, *to, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd backup:", err)
		return 1
	}
	return 0
}

// parseSub parses a subcommand's flags: ok false with the exit status on
// --help, a bad flag or a stray argument.
func parseSub(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected arguments: %v\n", fs.Name(), fs.Args())
		return 2, false
	}
	return 0, true
}

// backup copies the store of the service whose data directory is dir to
// the file to.
func backup(ctx context.Context, dir, to string, out io.Writer) error {
	src := filepath.Join(dir, boltstore.FileName)
	socket := filepath.Join(dir, backupSocketName)
	from := "the running service"
	var stats boltstore.Stats
	fill := func(f *os.File) error {
		err := fetchBackup(ctx, socket, f)
		if !errors.Is(err, errNoService) {
			return err
		}
		from = src + " (no service running)"
		return copyStopped(ctx, src, f)
	}
	check := func(tmp string) (err error) {
		if stats, err = boltstore.CheckCopy(ctx, tmp); err != nil {
			return fmt.Errorf("the copy fails its check, %s is left as it was: %w", to, err)
		}
		return nil
	}
	if err := replaceFile(to, fill, check); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "%s: copy of %s: %d events, %d snapshots, %d idempotency keys, %d bytes\n",
		to, from, stats.Events, stats.Snapshots, stats.Keys, stats.FileBytes)
	return err
}

// errNoService means no service answers on the backup socket.
var errNoService = errors.New("no service answers on the backup socket")

// fetchBackup asks the service listening on socket for a copy and writes
// it to w; errNoService when none listens.
func fetchBackup(ctx context.Context, socket string, w io.Writer) error {
	conn, err := dialBackup(ctx, socket)
	if err != nil {
		return err
	}
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil },
		DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://analyticsd/backup", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("backup from the running service: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("the running service made no copy: %s", msg)
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return fmt.Errorf("backup from the running service was cut off after %d bytes: %w", n, err)
	}
	if want := resp.Trailer.Get(backupTrailer); want != strconv.FormatInt(n, 10) {
		return fmt.Errorf("backup from the running service: received %d bytes, the service sent %q", n, want)
	}
	return nil
}

// dialBackup connects to the backup socket; errNoService when no service
// listens on it.
func dialBackup(ctx context.Context, socket string) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	switch {
	case errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED):
		return nil, errNoService
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("%s: permission denied: run this as root or as the service's user (sudo -u analytics)", socket)
	case err != nil:
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	return conn, nil
}

// copyStopped copies the store file of a stopped service, opened
// read-only (it refuses a damaged file, and a file the service holds).
func copyStopped(ctx context.Context, path string, w io.Writer) error {
	st, err := boltstore.OpenReadOnly(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.Backup(ctx, w)
	return err
}

// replaceFile writes path through fill without ever leaving it half
// written: fill writes a new file next to it, which is synced, passed to
// check by name, and renamed over path; the directory is synced so the
// rename survives a crash. On failure path is as it was.
func replaceFile(path string, fill func(*os.File) error, check func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := check(f.Name()); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// pgConfigured reports whether cfg keeps its entries in PostgreSQL.
func pgConfigured(cfg server.Config) bool { return cfg.Database.URL != "" }
