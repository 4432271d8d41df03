package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/analytics-client/analytics/internal/version"
)

func versionCommand() command {
	return command{
		name:    "version",
		args:    "",
		summary: "Print the version of this program",
		example: "  analytics version",
		run:     (*cli).version,
	}
}

func (c *cli) version(_ context.Context, args []string) error {
	cmd := versionCommand()
	fs := flag.NewFlagSet("analytics version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pos, err := c.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("analytics version: unexpected argument %q", pos[0])
	}
	fmt.Fprintf(c.stdout, "analytics %s %s\n", version.String(), runtime.Version())
	return nil
}
