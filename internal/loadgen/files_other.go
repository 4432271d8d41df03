//go:build !unix

package loadgen

// RaiseFileLimit does nothing where open files have no per-process limit
// to raise.
func RaiseFileLimit(n uint64) error { return nil }
