//go:build race

package main

import "time"

// floodAnswerWithin is how soon a normal command must be answered during
// the flood. The daemon runs without the race detector either way, but
// this test's own clients (the flood's and the normal one's encoding and
// TLS) run several times slower under it, so the bound is wider.
const floodAnswerWithin = 5 * time.Second
