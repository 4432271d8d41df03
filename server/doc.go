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
// # Answers
//
// Every answer the JVM service gives is reproduced, with the same status
// codes and JSON shapes, except that every input which makes the JVM
// service fail with 500 gets a 4xx with the JSON error shape
// {"kind":...,"msg":...} here. The only 500 the service gives on purpose is
// the failure answer of /commands/send, which reports an upstream failure.
//
// # Durability
//
// A 200 or 206 is written only after the entry is on stable storage;
// concurrent requests share one sync. A request carrying an
// Idempotency-Key header is stored once per key: a repeat gets the first
// answer, status and body, without storing again.
package server
