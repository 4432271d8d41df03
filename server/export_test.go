package server

import "github.com/analytics-client/analytics/internal/store"

// NewWithStore is New with a given store, for benchmarks that separate the
// HTTP path from the storage cost.
var NewWithStore = newServer

// SetStoreCommitHook makes New pass fn to the store as
// store.Options.OnCommit, so that a test sees each commit's sync.
func SetStoreCommitHook(c *Config, fn func(store.CommitInfo)) { c.onStoreCommit = fn }

// DatatypeMatches is Datatype.matches, for the table test of datatypes.
func DatatypeMatches(d Datatype, v any) bool { return d.matches(v) }
