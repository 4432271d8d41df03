// Package version holds the version the binaries were built as: one string
// for analyticsd and analytics, their --version output, the service's
// /status and start log line, and the client's User-Agent.
//
// A release build stamps it with the linker:
//
//	go build -ldflags "-X github.com/analytics-client/analytics/internal/version.stamped=1.2.3" ./cmd/...
//
// (.ci/package does that with the version from git describe). Without a
// stamp it is the module version the go command recorded (a `go install
// ...@v1.2.3` build), and "devel" for a build from a checkout.
package version

import "runtime/debug"

// stamped is set by the linker (-X) for a release build.
var stamped string

// String returns the version: the stamped one, the module version the build
// recorded, or "devel".
func String() string {
	if stamped != "" {
		return stamped
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// UserAgent is the User-Agent the client library sends: the product and
// its version, as RFC 9110 section 10.1.5 has it.
func UserAgent() string { return "analytics-go/" + String() }
