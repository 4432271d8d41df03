package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/analytics-client/analytics"
)

// Exit statuses; see the package documentation.
const (
	exitOK          = 0
	exitRejected    = 1
	exitUsage       = 2
	exitUnreachable = 3
	exitTLS         = 4
)

// env is what the command takes from its surroundings, so that tests can
// run it without the process environment or the user's home directory.
type env struct {
	// Stdin is read by --json -.
	Stdin io.Reader
	// Getenv looks up ANALYTICS_* settings, like os.Getenv.
	Getenv func(string) string
	// DevConfigPath is the client configuration the development service
	// writes; "" means there is none.
	DevConfigPath string
	// PuppetConfPath is the node's puppet.conf where Puppet keeps it
	// (analytics.DefaultPuppetConfPath); "" means none is looked for.
	PuppetConfPath string
}

// cli is one invocation: its surroundings and output streams.
type cli struct {
	env
	stdout, stderr io.Writer
	source         string // where the connection settings came from, once resolved
}

// command is one subcommand.
type command struct {
	name string
	args string // what follows the name in the usage line
	// reads is true for the commands that only read what the service
	// says: their exit status 0 is "answered", not "stored".
	reads   bool
	summary string
	example string
	run     func(c *cli, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{eventCommand(), snapshotCommand(), entrypointCommand(), statusCommand(), previewCommand(),
		tryCommand(), versionCommand()}
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, e env) int {
	c := &cli{env: e, stdout: stdout, stderr: stderr}
	if c.Stdin == nil {
		c.Stdin = strings.NewReader("")
	}
	if c.Getenv == nil {
		c.Getenv = func(string) string { return "" }
	}
	args = hoistFlags(args)
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage())
		return exitUsage
	}
	name := args[0]
	if name == "--version" || name == "-version" {
		name, args = "version", []string{"version"}
	}
	if name == "help" || name == "-h" || name == "-help" || name == "--help" {
		fmt.Fprint(stdout, mainUsage())
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == name {
			return c.finish(cmd.run(c, ctx, args[1:]))
		}
	}
	if strings.HasPrefix(name, "-") {
		return c.finish(usageErrorf("flag %s is not followed by a command (see analytics --help)", name))
	}
	return c.finish(usageErrorf("unknown command %q (want %s; see analytics --help)", name, commandNames()))
}

// commandNames lists the commands for messages: "event, snapshot ... or version".
func commandNames() string {
	var names []string
	for _, cmd := range commands() {
		names = append(names, cmd.name)
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// hoistFlags moves the flags written before the command name to just after
// it, so that analytics --url U event x reads as analytics event --url U x.
// A flag that takes a value takes the next argument unless written
// --flag=value. Without a command after them the arguments stay as they
// are.
func hoistFlags(args []string) []string {
	valued := map[string]bool{}
	fs := newFlagSet(command{}, &opts{}, true)
	fs.String("json", "", "")
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
			valued[f.Name] = true
		}
	})
	i := 0
	for i < len(args) && len(args[i]) > 1 && args[i][0] == '-' && args[i] != "--" {
		name, _, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		i++
		if !hasValue && valued[name] && i < len(args) {
			i++
		}
	}
	if i == 0 || i >= len(args) {
		return args
	}
	out := append([]string{args[i]}, args[:i]...)
	return append(out, args[i+1:]...)
}

// finish reports err on one line and returns its exit status.
func (c *cli) finish(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	if !strings.HasPrefix(msg, "analytics") {
		msg = "analytics: " + msg
	}
	code := exitCode(err)
	// go run turns every failure into 1: the line keeps the real one.
	fmt.Fprintf(c.stderr, "%s (exit status %d)\n", msg, code)
	return code
}

// exitCode maps an error to the documented exit status.
func exitCode(err error) int {
	var (
		ns *nothingStoredError
		ue *usageError
		ve *analytics.ValidationError
		ce *analytics.ConfigError
		re *analytics.RejectedError
		rs *analytics.ResponseError
		ur *url.Error
		ne net.Error
	)
	var te *tlsError
	switch {
	case errors.As(err, &ue), errors.As(err, &ve), errors.As(err, &ce):
		return exitUsage
	case errors.As(err, &te):
		return exitTLS
	case errors.Is(err, analytics.ErrUnreachable):
		return exitUnreachable
	case errors.As(err, &re), errors.As(err, &rs), errors.As(err, &ns):
		return exitRejected
	case errors.As(err, &ur), errors.As(err, &ne), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return exitUnreachable
	default:
		return exitRejected // the service answered something unusable
	}
}

// usageError is a mistake on the command line: nothing was sent.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
