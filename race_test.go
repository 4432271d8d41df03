//go:build race

package analytics_test

// raceEnabled: the race detector slows delivery several times, so the
// heaviest tests use fewer items under it.
const raceEnabled = true
