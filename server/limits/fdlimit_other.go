//go:build !unix

package limits

// FileLimit is the process's soft limit of open files: unknown here.
func FileLimit() uint64 { return 0 }
