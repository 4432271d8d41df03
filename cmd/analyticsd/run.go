package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/analytics-client/analytics/server"
)

// flags are the command line settings.
type flags struct {
	config   string
	dataDir  string
	listen   string
	logLevel slog.Level
}

// usageHead starts analyticsd --help; the flags follow it.
const usageHead = `Usage: analyticsd [--config PATH] [--data-dir DIR] [--listen ADDR] [--log-level LEVEL]
       analyticsd check --config PATH     (check the stopped service's store)
       analyticsd migrate --from-bbolt FILE --config PATH
                                          (copy a stopped service's store into
                                          the database of analytics.database)

Run the analytics service: as a Trapperkeeper configuration says (--config),
or, with no --config, a development service on 127.0.0.1 that needs no setup
(a throwaway CA and client settings in client.json under its data directory).
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
2 usage error. check and migrate: 0 sound or copied, 1 damaged, refused or
failed, 2 usage error.
`

func parseFlags(args []string, stdout io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("analyticsd", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // --help is printed below; errors by the caller
	fs.StringVar(&f.config, "config", "", "Trapperkeeper configuration: file, directory or comma-separated list (none: development service)")
	fs.StringVar(&f.dataDir, "data-dir", "", "development service: data directory (default: the user cache directory's analytics-dev)")
	fs.StringVar(&f.listen, "listen", "", "development service: HTTPS address (default 127.0.0.1:14433, or a free port when taken)")
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
	if f.config != "" && (f.dataDir != "" || f.listen != "") {
		return f, errors.New("--data-dir and --listen are for the development service; with --config, set analytics.data-directory and webserver.* in the configuration")
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

// runConfigured serves as the Trapperkeeper configuration says.
func runConfigured(ctx context.Context, f flags, log *slog.Logger) error {
	cfg, err := loadConfig(f.config)
	if err != nil {
		return err
	}
	cfg.Logger = log
	srv, err := interruptible(ctx, "opening the store and the whitelist", func() (*server.Server, error) { return server.New(cfg) })
	if err != nil {
		return err
	}
	if _, err := interruptible(ctx, "reading the TLS files", func() (struct{}, error) { return struct{}{}, srv.Listen(ctx) }); err != nil {
		if ctx.Err() == nil { // else Listen may still hold the server: Close would wait for it
			_ = srv.Close(context.WithoutCancel(ctx))
		}
		return err
	}
	stopReload := reloadOnHangup(srv, log)
	defer stopReload()
	log.Info("analytics service started", "url", srv.URL(), "http", srv.HTTPAddr(), "https", srv.HTTPSAddr(),
		"admin", srv.AdminURL(), "data-directory", cfg.DataDir)
	return serve(ctx, srv, log)
}

// reloadOnHangup makes SIGHUP read the TLS files again at once (they are
// also read when they change, within Config.CertCheckInterval). The
// returned function stops it and waits for it.
func reloadOnHangup(srv *server.Server, log *slog.Logger) func() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range hup {
			if err := srv.ReloadCertificates(); err != nil && !errors.Is(err, server.ErrNoTLS) {
				log.Error("SIGHUP: certificates not reloaded; keeping those in use", "error", err)
				continue
			}
			log.Info("SIGHUP: certificates checked", "expires", srv.CertificateExpiry())
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

// version is the module version the binary was built from, "" for a
// development build.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "(devel)" {
		return ""
	}
	return bi.Main.Version
}
