//go:build unix

package loadgen

import (
	"fmt"
	"syscall"
)

// RaiseFileLimit raises the soft limit on open files to n if it is lower
// (an attack holds a descriptor per connection, and so does a service in
// the same process). It fails when the hard limit is lower than n.
func RaiseFileLimit(n uint64) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("reading the open-file limit: %w", err)
	}
	if rl.Cur >= n {
		return nil
	}
	if rl.Max < n {
		return fmt.Errorf("%d open files needed; the hard limit is %d (ulimit -Hn)", n, rl.Max)
	}
	rl.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("raising the open-file limit to %d: %w", n, err)
	}
	return nil
}
