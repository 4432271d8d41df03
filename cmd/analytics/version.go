package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
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
	fmt.Fprintf(c.stdout, "analytics %s %s\n", moduleVersion(), runtime.Version())
	return nil
}

// moduleVersion is the main module's version as the build recorded it,
// "(devel)" when it recorded none.
func moduleVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}
