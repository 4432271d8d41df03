package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/analytics-client/analytics"
)

// exitCodesHelp ends the usage texts of the commands that store (event,
// snapshot) and the main one; readsExitHelp those of the commands that
// only read what the service says (entrypoint, status, preview).
const exitCodesHelp = `Exit status:
  0  stored (a snapshot partly stored, 206, too: refused fields go to stderr)
  1  the service answered with an error (rejected, 422; a 206 that stored
     nothing; another 4xx/5xx)
` + commonExitHelp

// mainExitHelp ends analytics --help.
const mainExitHelp = `Exit status:
  0  stored; for entrypoint, status and preview: the service answered
  1  the service answered with an error (rejected, 422; a 206 that stored
     nothing; another 4xx/5xx)
` + commonExitHelp

const readsExitHelp = `Exit status:
  0  the service answered: its document is on stdout
  1  the service answered with an error (403: the certificate is not an
     operator's; another 4xx/5xx)
` + commonExitHelp

// commonExitHelp are the exit statuses every command that talks to a
// service shares.
const commonExitHelp = `  2  usage, configuration or validation error (a certificate file that is
     missing, unreadable or expired too): nothing was sent
  3  the service is unreachable, or the exchange was cut off
  4  a certificate or TLS failure: this program refused the service's
     certificate (unknown CA, expired, revoked, another name) or the service
     refused the client certificate; the message names the flag or file to fix
Every error line ends with its exit status. go run reports every failure as
exit status 1: for scripts, build the program (go build -o analytics
./cmd/analytics) and run that.
`

// settingsHelp explains where connection settings come from.
const settingsHelp = `Connection settings, in rising precedence: when nothing else names a
service, the development config that analyticsd writes or else the node's
Puppet settings (its puppet.conf at Puppet's default location); --config, or
--puppet-conf / ANALYTICS_PUPPET_CONF (the agent's server, certname and
certificates); ANALYTICS_URL / ANALYTICS_SSL_CERT / ANALYTICS_SSL_KEY /
ANALYTICS_SSL_CA_CERT; then the flags. --verbose says which was used.
`

func mainUsage() string {
	var b strings.Builder
	b.WriteString("analytics reports snapshots and events to an analytics service.\n\nUsage:\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "  analytics %-11s %s\n", cmd.name, cmd.summary)
	}
	b.WriteString("\nRun analytics COMMAND --help for a command's arguments, flags and an example.\n")
	b.WriteString("Flags may also stand before the command: analytics --url URL event NAME.\n\n")
	b.WriteString(settingsHelp + "\n" + mainExitHelp)
	return b.String()
}

// opts are the flags the commands share.
type opts struct {
	config, url, cert, key, ca string
	puppetConf                 string
	json                       string
	timeout                    time.Duration
	quiet, verbose             bool
}

// newFlagSet returns cmd's flag set; connection adds the connection flags.
// Errors and help are printed by the caller, not by package flag.
func newFlagSet(cmd command, o *opts, connection bool) *flag.FlagSet {
	fs := flag.NewFlagSet("analytics "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing on stdout")
	fs.BoolVar(&o.verbose, "verbose", false, "log the client's (or service's) informational lines on stderr")
	if !connection {
		return fs
	}
	fs.StringVar(&o.config, "config", "", "Trapperkeeper `PATH` (file, conf.d directory, comma list) with an analytics section")
	fs.StringVar(&o.puppetConf, "puppet-conf", "", "Puppet agent's puppet.conf `PATH`: its server, certname and certificates")
	fs.StringVar(&o.url, "url", "", "the service's entrypoint `URL`, e.g. https://puppet:8140/analytics")
	fs.StringVar(&o.cert, "ssl-cert", "", "client certificate `FILE`, PEM")
	fs.StringVar(&o.key, "ssl-key", "", "client private key `FILE`, PEM")
	fs.StringVar(&o.ca, "ssl-ca-cert", "", "CA bundle `FILE`, PEM, that signs the service's certificate")
	o.timeout = analytics.DefaultTimeout
	fs.Var((*durationFlag)(&o.timeout), "timeout", "bound on the whole exchange with the service, a `DURATION` with a unit, "+
		durationForms)
	return fs
}

// parse parses args, allowing flags between and after the positional
// arguments (everything after "--" is positional). It prints the usage to
// stdout for --help and returns flag.ErrHelp.
func (c *cli) parse(cmd command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				fmt.Fprint(c.stdout, usage(cmd, fs))
				return nil, err
			}
			return nil, usageErrorf("analytics %s: %v (see analytics %s --help)", cmd.name, err, cmd.name)
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// usage is a command's --help text.
func usage(cmd command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s.\n\nExample:\n%s\n",
		strings.TrimSpace("analytics "+cmd.name+" "+cmd.args), cmd.summary, cmd.example)
	var defaults bytes.Buffer
	fs.SetOutput(&defaults)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	if defaults.Len() > 0 {
		b.WriteString("\nFlags (one or two dashes):\n")
		b.Write(defaults.Bytes())
	}
	if fs.Lookup("url") != nil {
		// Only the commands that talk to a service have its exit statuses.
		exits := exitCodesHelp
		if cmd.reads {
			exits = readsExitHelp
		}
		b.WriteString("\n" + settingsHelp + "\n" + exits)
		return b.String()
	}
	b.WriteString("\nExit status: 0 done, 1 failed, 2 usage error.\n")
	return b.String()
}

// durationForms says how a duration flag is written, in its help and in
// its error.
const durationForms = "such as 10s, 1m30s or 500ms"

// durationFlag is a positive duration flag whose error says how to write
// one, unlike flag.Duration's "parse error".
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return fmt.Errorf("not a duration: write a number with a unit, %s", durationForms)
	case v <= 0:
		return fmt.Errorf("must be more than 0, %s", durationForms)
	}
	*d = durationFlag(v)
	return nil
}
