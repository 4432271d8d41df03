package server

// NewWithStore is New with a given store, for benchmarks that separate the
// HTTP path from the storage cost.
var NewWithStore = newServer
