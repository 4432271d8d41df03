// Command analyticsd runs the analytics service.
//
// With --config PATH (a Trapperkeeper configuration: a file, a conf.d
// directory, or a comma-separated list) it runs as configured. With no
// --config it runs a development service on 127.0.0.1 that needs no setup:
// it creates (once) a throwaway CA with server and client certificates under
// its data directory, and writes the client settings to client.json there
// for the CLI.
//
// Usage:
//
//	analyticsd [--config PATH] [--data-dir DIR] [--listen ADDR] [--log-level LEVEL]
//	analyticsd check --config PATH
//	analyticsd migrate --from-bbolt FILE --config PATH
//
// The check subcommand runs the store's full consistency check (the one
// the service runs at start) and prints its counts; the service must be
// stopped. A damaged store makes each of them exit with status 1 and one line
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
	raiseFileLimit()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
