// Command analytics reports snapshots and events to an analytics service
// and shows what the service advertises.
//
// Usage:
//
//	analytics event NAME [KEY=VALUE | KEY:=JSON ...] [flags]
//	analytics snapshot KEY=VALUE | KEY:=JSON ... [flags]
//	analytics event|snapshot --json FILE [flags]
//	analytics entrypoint [flags]
//	analytics status [--json] [flags]
//	analytics preview [flags]
//	analytics try
//	analytics version
//
// Flags may stand before the command too: analytics --url URL event NAME.
//
// KEY=VALUE sends VALUE as a string; KEY:=JSON sends a number, boolean, list
// or map written as JSON (n:=1337, ok:=true, l:='["a","b"]',
// m:='{"k":"v"}'). Numbers are sent exactly as written. --json FILE (- for
// standard input) sends a whole payload in its wire shape instead:
// {"event":NAME,"metadata":{...}} or {"fields":{...}}.
//
// The try command needs no configuration and no network: it runs the
// development service (analyticsd with no configuration) as a child process
// on 127.0.0.1 behind mutual TLS, with a throwaway CA and its data in a
// temporary directory, sends an example snapshot and event through the
// client, prints the answers and what the service stored, then stops the
// service and removes everything it created. It runs the analyticsd beside
// this program or on PATH; failing those, inside this module's source tree
// it builds one with the go command (quick after the first time, thanks to
// the build cache), so that go run ./cmd/analytics try works on a fresh
// clone. --verbose says which it used. This program links none of the
// service.
//
// # Connection settings
//
// In rising precedence:
//
//  1. when neither --config, --puppet-conf nor a URL (ANALYTICS_URL or
//     --url) is given: the development client configuration that
//     analyticsd writes when it runs with no --config, or else the node's
//     Puppet settings, when puppet.conf exists where Puppet keeps it
//     (/etc/puppetlabs/puppet/puppet.conf for root,
//     ~/.puppetlabs/etc/puppet/puppet.conf for other users);
//  2. --config PATH: a Trapperkeeper configuration (file, conf.d directory
//     or comma-separated list) whose analytics section holds url and
//     ssl-opts; or --puppet-conf PATH (or ANALYTICS_PUPPET_CONF): a Puppet
//     agent's puppet.conf, whose server, serverport and certificates
//     (certname, ssldir, CA bundle, CRL) are used as the agent uses them;
//  3. the environment: ANALYTICS_URL, ANALYTICS_SSL_CERT, ANALYTICS_SSL_KEY,
//     ANALYTICS_SSL_CA_CERT;
//  4. the flags --url, --ssl-cert, --ssl-key, --ssl-ca-cert.
//
// Layers 3 and 4 override single settings of what lies below them.
// --verbose, and the summary of analytics status, say where the settings
// came from.
//
// # Output and exit status
//
// The service's answer to a stored command is printed on standard output as
// indented JSON (--quiet prints nothing); errors, the service's error
// answers included, go to standard error only, as one line. The exit status
// of the commands that talk to a service is:
//
//	0  stored (for a snapshot, also a partial store, 206: the refused
//	   fields are listed on standard error); for entrypoint, status and
//	   preview: the service answered
//	1  the service answered with an error: rejected (422), a 206 that
//	   refused every field (nothing was stored), or another 4xx or 5xx
//	   answer
//	2  usage, configuration or validation error (a certificate file that
//	   is missing, unreadable or expired too): nothing was sent
//	3  the service is unreachable, or the exchange was cut off
//	4  a certificate or TLS failure: the service's certificate was refused
//	   (not signed by the CA given, expired, revoked, issued for another
//	   name) or the service refused the client certificate; the message
//	   names the flag or file to fix
//
// Every error line ends with "(exit status N)": go run reports every
// failure as exit status 1, so scripts should run a built program (go
// build -o analytics ./cmd/analytics).
//
// SIGINT and SIGTERM cancel the exchange in flight.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := env{Stdin: os.Stdin, Getenv: os.Getenv, DevConfigPath: devenv.ClientConfigPath(),
		PuppetConfPath: analytics.DefaultPuppetConfPath()}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, e)
	stop()
	os.Exit(code)
}
