package wire

// Header names of the protocol.
const (
	// HeaderIdempotencyKey carries a client's key for a command: the
	// service stores a command sent again with the same key and body
	// once, and answers a reused key with a different body with
	// ErrorKeyReused.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderRequestID carries the request's id: the service answers with
	// the one the client sent, or one it made, and logs it.
	HeaderRequestID = "X-Request-Id"
	// HeaderRetryAfter is the number of seconds to wait before retrying
	// an answer of ErrorStorage or ErrorUnavailable (RFC 9110).
	HeaderRetryAfter = "Retry-After"
)
