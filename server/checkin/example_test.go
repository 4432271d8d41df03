package checkin_test

import (
	"fmt"
	"os"

	"github.com/analytics-client/analytics/server/checkin"
)

// A Checker says whether a check-in would send anything, and why not.
func ExampleChecker_Mode() {
	dir, err := os.MkdirTemp("", "checkin-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	c := checkin.New(checkin.Config{Product: "puppetserver", ConfDir: dir}, nil)
	fmt.Println(c.Mode())
	if err := os.WriteFile(c.OptOutFile(), nil, 0o644); err != nil {
		fmt.Println(err)
		return
	}
	mode, _ := c.Mode()
	fmt.Println(mode)
	// Output:
	// no-upstream no update server configured
	// opted-out
}
