package wire

// Header names of the protocol.
const (
	// HeaderIdempotencyKey carries a client's key for a command (at most
	// MaxIdempotencyKeyLen bytes): the service stores a command sent
	// again with the same key and body once, and answers a reused key
	// with a different body with ErrorKeyReused.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderRequestID is the response header that carries the id the
	// service gave the request. Error bodies of refusals and server
	// errors carry it too (Error.RequestID), and the service's log names
	// it, so that an operator can find what a client was told.
	HeaderRequestID = "X-Request-Id"
	// HeaderRetryAfter is the number of seconds to wait before retrying
	// an answer of ErrorStorage, ErrorStorageFull or ErrorUnavailable
	// (RFC 9110).
	HeaderRetryAfter = "Retry-After"
)

// MaxIdempotencyKeyLen is the longest idempotency key the service accepts,
// in bytes, in the HeaderIdempotencyKey header or as a batch item's "key";
// a longer one gets 400 (ErrorInvalidData).
const MaxIdempotencyKeyLen = 255
