package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/analytics-client/analytics/internal/sdnotify"
	"github.com/analytics-client/analytics/server"
)

// flags are the command line settings.
type flags struct {
	config      string
	dataDir     string
	listen      string
	allowRemote bool
	logLevel    slog.Level
}

// usageHead starts analyticsd --help; the flags follow it.
const usageHead = `Usage: analyticsd [--config PATH] [--data-dir DIR] [--listen ADDR [--allow-remote]] [--log-level LEVEL]
       analyticsd check [--config PATH | --data-dir DIR]
                                          (check the stopped service's store;
                                          neither flag: the development one)
       analyticsd backup [--config PATH] --to FILE
                                          (consistent copy of the store, while
                                          the service runs or not)
       analyticsd restore [--config PATH] --from FILE
                                          (put a backup in place of the
                                          stopped service's store)
       analyticsd version | --version
       analyticsd migrate --from-bbolt FILE --config PATH
                                          (copy a stopped service's store into
                                          the database of analytics.database)

Run the analytics service: as a Trapperkeeper configuration says (--config),
or, with no --config, a development service on 127.0.0.1 that needs no setup
(a throwaway CA and client settings in client.json under its data directory).
The development service listens on loopback only (--listen takes a loopback
address unless --allow-remote is given); its HTTPS port is 14433 and its
operator page's 14434, each replaced by a free port when taken (it prints
which).
It runs in the foreground until SIGINT (Ctrl-C) or SIGTERM: start it in its
own terminal, or under a service manager, not with & (stopping a "go run"
that was put in the background leaves the service running, holding the port
and the store).

Examples:
  analyticsd                                      # development service
  analyticsd --config /etc/puppetlabs/puppetserver/conf.d
  analyticsd --data-dir ./dev --listen 127.0.0.1:8443 --log-level debug

Flags (one or two dashes):
`

// usageTail ends analyticsd --help.
const usageTail = `
Exit status: 0 stopped by a signal, 1 the service could not start or failed,
2 usage error. check, migrate, backup and restore: 0 sound or copied, 1
damaged, refused or failed, 2 usage error. backup and restore read
/etc/analyticsd/analyticsd.conf unless --config says otherwise.
`

func parseFlags(args []string, stdout io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("analyticsd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // --help is printed below; errors by the caller
	fs.StringVar(&f.config, "config", "", "Trapperkeeper configuration: file, directory or comma-separated list (none: development service)")
	fs.StringVar(&f.dataDir, "data-dir", "", "development service: data directory (default: the user cache directory's analytics-dev)")
	fs.StringVar(&f.listen, "listen", "", "development service: HTTPS address `ADDR`, on loopback (default 127.0.0.1:14433, or a free port when taken)")
	fs.BoolVar(&f.allowRemote, "allow-remote", false, "development service: let --listen take a non-loopback address (other machines can then connect; the certificate names only localhost, 127.0.0.1 and ::1)")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, usageHead)
			fs.PrintDefaults()
			fmt.Fprint(stdout, usageTail)
			return f, err
		}
		return f, fmt.Errorf("%w (see analyticsd --help)", err)
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if f.config != "" && (f.dataDir != "" || f.listen != "" || f.allowRemote) {
		return f, errors.New("--data-dir, --listen and --allow-remote are for the development service; with --config, set analytics.data-directory and webserver.* in the configuration")
	}
	if f.listen != "" && !f.allowRemote {
		if err := loopbackOnly(f.listen); err != nil {
			return f, err
		}
	}
	return f, nil
}

// run is the whole command: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check" {
		return runCheck(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "migrate" {
		return runMigrate(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "backup" {
		return runBackup(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "restore" {
		return runRestore(ctx, args[1:], stdout, stderr)
	}
	if isVersionRequest(args) {
		return printVersion(stdout)
	}
	f, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))
	if f.config != "" {
		err = runConfigured(ctx, f, log)
	} else {
		err = runDev(ctx, f, log, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "analyticsd:", err)
		return 1
	}
	return 0
}

// runConfigured serves as the Trapperkeeper configuration says. Under
// systemd (Type=notify) it says READY=1 once the store is open and every
// listener, the backup socket included, is bound; STOPPING=1 when a signal
// stops it; RELOADING=1 around a SIGHUP.
func runConfigured(ctx context.Context, f flags, log *slog.Logger) error {
	srv, cfg, err := startConfigured(ctx, f.config, log)
	if err != nil {
		return err
	}
	var bs *backupSocket
	if !pgConfigured(cfg) {
		if bs, err = listenBackup(srv, cfg.DataDir, log); err != nil {
			_ = srv.Close(context.WithoutCancel(ctx))
			return err
		}
		defer bs.Close(context.WithoutCancel(ctx))
	}
	notify := sdnotify.FromEnv()
	stopReload := reloadNotifying(srv, log, notify)
	defer stopReload()
	log.Info("analytics service started", "version", version(), "url", srv.URL(), "http", srv.HTTPAddr(), "https", srv.HTTPSAddr(),
		"admin", srv.AdminURL(), "data-directory", cfg.DataDir, "open-files-limit", openFilesLimit())
	if err := notify.Ready("serving " + srv.URL()); err != nil {
		log.Warn("cannot tell the service manager the service is ready", "error", err)
	}
	stopped := notifyStopping(ctx, notify)
	defer stopped()
	return serve(ctx, srv, log)
}

// notifyStopping sends STOPPING=1 when ctx ends (a stop signal). The
// returned function ends the wait and waits for it.
func notifyStopping(ctx context.Context, notify *sdnotify.Notifier) func() {
	served := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ctx.Done():
			_ = notify.Stopping()
		case <-served:
		}
	}()
	return func() {
		close(served)
		<-done
	}
}

// fdReserve is the open files kept for the store, the TLS files, logs and
// outgoing check-ins besides the connections.
const fdReserve = 64

// checkOpenFiles refuses a configuration whose connection limits could
// exhaust the process's open files (LimitNOFILE= in the unit): the service
// would then fail accepts and store writes at random instead of refusing
// connections at webserver.max-connections.
func checkOpenFiles(cfg server.Config) error {
	limit := openFilesLimit()
	listeners := 0
	for _, a := range []string{cfg.HTTPAddr, cfg.HTTPSAddr, cfg.AdminAddr} {
		if a != "" {
			listeners++
		}
	}
	conns := cmp.Or(cfg.MaxConnections, server.DefaultMaxConnections)
	need := uint64(listeners*conns + fdReserve)
	if limit == 0 || limit >= need {
		return nil
	}
	return fmt.Errorf("%s is %d on %d listeners: up to %d open files, but the limit is %d: "+
		"raise LimitNOFILE= in the unit (systemctl edit analyticsd) or ulimit -n, or lower %s",
		keyMaxConnections, conns, listeners, need, limit, keyMaxConnections)
}

// reloadOnHangup makes SIGHUP read the TLS files again at once (they are
// also read when they change, within Config.CertCheckInterval). The
// returned function stops it and waits for it.
func reloadOnHangup(srv *server.Server, log *slog.Logger) func() {
	return reloadNotifying(srv, log, nil)
}

// reloadNotifying is reloadOnHangup telling the service manager: each
// reload is between RELOADING=1 and READY=1.
func reloadNotifying(srv *server.Server, log *slog.Logger, notify *sdnotify.Notifier) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range hup {
			_ = notify.Reloading()
			if err := srv.ReloadCertificates(); err != nil && !errors.Is(err, server.ErrNoTLS) {
				log.Error("SIGHUP: certificates not reloaded; keeping those in use", "error", err)
				_ = notify.Ready("serving; reload failed, keeping the certificates in use")
				continue
			}
			log.Info("SIGHUP: certificates checked", "expires", srv.CertificateExpiry())
			_ = notify.Ready("serving " + srv.URL())
		}
	}()
	return func() {
		signal.Stop(hup)
		close(hup)
		<-done
	}
}

// serve runs srv until ctx ends (a signal) and reports the stop.
func serve(ctx context.Context, srv *server.Server, log *slog.Logger) error {
	err := srv.Serve(ctx)
	if err != nil {
		return err
	}
	log.Info("analytics service stopped")
	return nil
}
