//go:build !race

package main

import "time"

// floodAnswerWithin is how soon a normal command must be answered during
// the flood (issue 17: within 1 s).
const floodAnswerWithin = time.Second
