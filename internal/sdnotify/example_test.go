package sdnotify_test

import (
	"log/slog"

	"github.com/analytics-client/analytics/internal/sdnotify"
)

func ExampleNotifier_Ready() {
	n := sdnotify.FromEnv() // sends nothing without $NOTIFY_SOCKET
	// ... open the store, bind every listener ...
	if err := n.Ready("serving"); err != nil {
		slog.Warn("cannot tell systemd the service is ready", "error", err)
	}
	// Output:
}
