package main

import (
	"fmt"
	"io"
	"runtime"

	buildversion "github.com/analytics-client/analytics/internal/version"
)

// isVersionRequest reports whether args ask for the version:
// `analyticsd version` or `analyticsd --version`.
func isVersionRequest(args []string) bool {
	return len(args) > 0 && (args[0] == "version" || args[0] == "--version" || args[0] == "-version")
}

// printVersion prints the version line: the program, its version (stamped
// by .ci/package, "devel" otherwise), the Go release and the platform.
func printVersion(w io.Writer) int {
	fmt.Fprintf(w, "analyticsd %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}

// version is the version the binary was built as, the one the service
// reports in /status, the entrypoint and its start log line.
func version() string { return buildversion.String() }
