//go:build !unix

package main

import "os"

// lockStoreFile relies on the backup socket check where flock is missing.
func lockStoreFile(string) (func(), error) { return func() {}, nil }

// ownLike leaves ownership alone where there are no unix owners.
func ownLike(*os.File, string) error { return nil }

// openFilesLimit is unknown here.
func openFilesLimit() uint64 { return 0 }
