// Package server is the analytics service as a library: the HTTP API of
// PROTOCOL.md (entrypoint, commands, collections, check-in), a whitelist
// that can be swapped while serving, durable storage through
// internal/store, and the plain and TLS listeners.
//
// # Pieces
//
//   - [New] validates a [Config], opens the store in Config.DataDir and
//     loads the whitelist file, if any.
//   - [Server.ServeHTTP] is the API, mounted under Config.Prefix
//     ("/analytics" by default). It can be used on its own with any
//     http.Server.
//   - [Server.Listen] binds the configured listeners (port 0 allowed; see
//     [Server.HTTPAddr], [Server.HTTPSAddr] and [Server.URL]) and fetches the
//     upstream whitelist; [Server.Serve] serves on them until its context
//     ends or [Server.Close] is called. [Server.ListenAndServe] does both.
//   - [Server.CheckIn] uploads what the service holds to the upstream
//     telemetry server; it runs once a day and on POST {prefix}/commands/send.
//   - [Server.Close] stops accepting, finishes in-flight requests, stops the
//     daily check-in and closes the store.
//
// # Packages
//
// This package is the API core and the lifecycle: configuration, routing,
// the commands and their answers, storage and idempotency, listeners,
// certificates and shutdown. Each subsystem is a package of its own that
// never imports this one; the core passes it what it needs (a store
// interface, a clock, a logger, hooks):
//
//   - server/authz: authorization rules and the per-request decision;
//   - server/whitelist: the whitelist, its sources and the Holder that
//     swaps it while serving;
//   - server/limits: the connection bound, the in-flight body budget and
//     body reading;
//   - server/checkin: the check-in (upload, schedule, opt-out, preview,
//     POST commands/send);
//   - server/opsview: what operators see (status, the page, metrics, the
//     access log, recent arrivals, the admin listener's checks).
//
// deps_test.go holds the graph between them.
//
// # Who may call what
//
// A request is authenticated when its TLS client certificate verified
// against the configured CA; its certname is the certificate's subject CN.
// Config.Authorization holds [authz.Rule]s in the trapperkeeper-authorization
// (auth.conf) format; nil means [DefaultRules]: any authenticated client may
// use the entrypoint and the commands, only the service's own certname the
// endpoints that read, upload or discard the data, and nothing else is
// allowed. A refused request gets 403 in the JSON error shape naming the
// rule and the certname. A path with an encoded slash or a dot segment is
// a 404 and never reaches the rules or a handler.
//
// # Answers
//
// Every answer the JVM service gives is reproduced, with the same status
// codes and JSON shapes, except that every input which makes the JVM
// service fail with 500 gets a 4xx with the JSON error shape
// {"kind":...,"msg":...} here. The only 500 the service gives on purpose is
// the failure answer of /commands/send, which reports an upstream failure.
//
// # Limits
//
// A body is read into a buffer that grows as bytes arrive, never sized
// from its Content-Length, and every buffered byte is taken from one
// budget (Config.MaxInflightBytes): a command that finds no room gets 503
// with Retry-After at once. A body must arrive within Config.BodyTimeout
// (else 408). Each listener holds at most Config.MaxConnections
// connections, closing the oldest one without a request in progress to
// make room; an HTTP/2 connection carries at most Config.MaxStreams
// requests at once. Failed TLS handshakes and refused connections are
// logged once a minute per kind, with a count.
//
// # Durability
//
// A 200 or 206 is written only after the entry is on stable storage;
// concurrent requests share one sync. A request carrying an
// Idempotency-Key header is stored once per key: a repeat gets the first
// answer, status and body, without storing again.
//
// # Batches
//
// POST {prefix}/commands/batch is an extension of this service: the JVM
// service answers it with 404 (clients then fall back to single commands),
// and the entrypoint document, identical to the JVM's, does not mention it.
// The body is
//
//	{"commands":[{"command":"event","key":"K1","payload":{"event":"a.b"}},
//	             {"command":"snapshot","payload":{"fields":{"a":1}}}]}
//
// where "command" is "event" or "snapshot", "payload" is exactly the
// single command's body, and "key", optional, is the item's idempotency key,
// the same as an Idempotency-Key header on the single command. Each item
// is handled as its single command is: the same validation, whitelist,
// stored entry and answer, and the same keys (an item whose key repeats
// an earlier item's in the batch gets that item's answer). The answer is a
// 200 with one result per command, in request order, each the status and
// body the single command would have answered:
//
//	{"results":[{"status":200,"body":{...}},{"status":206,"body":{...}}]}
//
// It is sent once every stored item is on stable storage. With the Bolt
// store the whole batch is appended in one ordered step (one commit, shared
// with concurrent requests), so its entries keep the batch's order.
// More than [MaxBatchCommands] commands, or a body over
// Config.MaxBodyBytes, get 413; an envelope of any other shape gets the
// single commands' 400 and 422 error shapes and stores nothing. A bad
// payload fails its own item only. When a batch is interrupted, some items
// may be stored; resending it with keys stores none twice.
package server
