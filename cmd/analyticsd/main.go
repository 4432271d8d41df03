// Command analyticsd runs the analytics service.
//
// With --config PATH (a Trapperkeeper configuration: a file, a conf.d
// directory, or a comma-separated list) it runs as configured. With no
// --config it runs a development service on 127.0.0.1 that needs no setup:
// it creates (once) a throwaway CA with server and client certificates under
// its data directory, and writes the client settings to client.json there
// for the CLI. The development service listens on loopback only: --listen
// refuses another address unless --allow-remote is given. Its HTTPS port
// is 14433 and its operator page (the admin listener, /view; / leads
// there) is on 127.0.0.1:14434; each default port that is taken is
// replaced by a free one, and the first lines say which.
//
// Usage:
//
//	analyticsd [--config PATH] [--data-dir DIR] [--listen ADDR [--allow-remote]] [--log-level LEVEL]
//	analyticsd check [--config PATH | --data-dir DIR]
//	analyticsd migrate --from-bbolt FILE --config PATH
//	analyticsd backup [--config PATH] --to FILE
//	analyticsd restore [--config PATH] --from FILE
//	analyticsd version | --version
//
// The check subcommand runs the store's full consistency check (the one
// the service runs at start) and prints its counts; the service must be
// stopped. It checks the store of --config's service, of the development
// service run with --data-dir DIR, or with neither flag the development
// service's at its default location, which it names. A damaged store makes each of them exit with status 1 and one line
// naming the file, what is wrong and what to do.
//
// The migrate subcommand copies the store file of a stopped service (the
// same checks: a damaged or locked file is refused) into the PostgreSQL
// database of PATH's analytics.database section: every entry of both
// collections in arrival order and every unexpired idempotency key, so a
// client retrying after the move gets its first answer. It prints the
// counts and leaves the file as it was. The copy is one transaction: an
// interrupted copy leaves the database as it was and is simply run again;
// a database that holds entries, or received a copy already, is refused.
//
// The backup subcommand writes a consistent copy of the bbolt store to
// FILE: a running service makes it in one read transaction and hands it
// over a unix socket in its data directory (root and the service's user
// only); with no service running it reads the file itself. restore puts
// such a copy in place of a stopped service's store, refusing a damaged or
// foreign file and a running service, and never leaving a half-written
// store. Both read /etc/analyticsd/analyticsd.conf, the packaged
// configuration, unless --config says otherwise; with PostgreSQL they
// explain pg_dump and fail. docs/operating.md is the operator's guide.
//
// Under systemd (Type=notify, packaging/analyticsd.service) it says
// READY=1 once the store is open and every listener is bound, RELOADING=1
// and READY=1 around a SIGHUP, and STOPPING=1 when it stops.
//
// It runs in the foreground; SIGINT and SIGTERM stop it gracefully. When
// the development service's default port is taken it picks a free one and
// says so in its first line and in client.json.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
