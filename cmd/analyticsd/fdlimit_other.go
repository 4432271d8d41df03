//go:build !unix

package main

// raiseFileLimit does nothing where there is no limit of open files to
// raise.
func raiseFileLimit() {}
