// Package wire is the vocabulary that both sides of the analytics protocol
// share: the client (package analytics and the analytics command) and the
// service (package server and analyticsd). It holds the documents the
// service answers with and the names they use, and nothing else: no
// behaviour, no I/O, and only the standard library, so that a program that
// merely reads the service's answers links none of the service.
//
// The protocol is the one the JVM implementation speaks (see PROTOCOL.md in
// the repository): a client POSTs commands to {url}/commands and reads
// {url}/collections/events and {url}/collections/snapshots; errors come in
// the JSON shape {"kind":...,"msg":...} ([Error]). Our service adds operator
// endpoints that the JVM service lacks: GET {url}/status ([Status]) and GET
// {url}/checkin/preview ([Preview]).
//
// # Pieces
//
//   - [Kind]: event or snapshot, the two kinds of item.
//   - [Status] with [CheckInStatus], [CheckInRecord], [WhitelistStatus] and
//     [StoreStatus]: the status document.
//   - [Preview]: what the next check-in would send.
//   - [Mode], [CheckInResult], [WhitelistSource]: the enumerations these
//     documents use.
//   - [Error] and [ErrorKind]: the JSON error shape and its kinds.
//   - Header names: [HeaderIdempotencyKey], [HeaderRequestID],
//     [HeaderRetryAfter].
//
// Every document encodes with encoding/json exactly as the service sends
// it: decoding an answer into these types and encoding it again gives the
// same bytes.
package wire
