package version_test

import (
	"fmt"

	"github.com/analytics-client/analytics/internal/version"
)

func ExampleString() {
	// Unstamped (a test or a build from a checkout).
	fmt.Println(version.String())
	// Output: devel
}
