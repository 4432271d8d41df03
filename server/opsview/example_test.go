package opsview_test

import (
	"fmt"

	"github.com/analytics-client/analytics/server/opsview"
)

// The admin listener serves without authentication, so its address must
// be a loopback one.
func ExampleCheckAdminAddr() {
	fmt.Println(opsview.CheckAdminAddr("127.0.0.1:8141") == nil)
	fmt.Println(opsview.CheckAdminAddr("0.0.0.0:8141"))
	// Output:
	// true
	// analytics: config AdminAddr: "0.0.0.0:8141" is not a loopback address (127.0.0.1, ::1 or localhost): the admin listener serves without authentication
}
