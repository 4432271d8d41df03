//go:build race

package server_test

// raceEnabled: the race detector multiplies memory, so heap bounds are
// not checked under it.
const raceEnabled = true
