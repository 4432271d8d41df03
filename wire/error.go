package wire

// Error is the JSON error shape of the service's error answers, the JVM
// service's {"kind":...,"msg":...}, e.g. 400
// {"kind":"invalid-data","msg":"Failed to parse body as JSON: ..."}.
// Our service adds Details and RequestID.
type Error struct {
	Kind ErrorKind `json:"kind"`
	// Msg says what is wrong, for a person.
	Msg string `json:"msg"`
	// Details maps each offending key or path to its problem
	// (ErrorSchemaViolation answers).
	Details map[string]string `json:"details,omitempty"`
	// RequestID is the request's id, as in the HeaderRequestID header.
	RequestID string `json:"request-id,omitempty"`
}

// ErrorKind is the "kind" of an error answer: what went wrong, for a
// program.
type ErrorKind string

// The error kinds. The first four are the JVM service's.
const (
	// ErrorInvalidData (400): the body is not JSON or could not be read,
	// or an idempotency key is too long.
	ErrorInvalidData ErrorKind = "invalid-data"
	// ErrorSchemaViolation (422): the body is JSON but not a valid
	// command: an unknown or missing key, a value of the wrong type.
	ErrorSchemaViolation ErrorKind = "schema-violation"
	// ErrorTooLarge (413): the body, or a batch's number of commands,
	// exceeds a limit.
	ErrorTooLarge ErrorKind = "request-too-large"
	// ErrorApplication (500): an internal error; the service's log says
	// more.
	ErrorApplication ErrorKind = "application-error"
	// ErrorStorage (503 with Retry-After): the store failed; it is safe
	// to retry.
	ErrorStorage ErrorKind = "storage-error"
	// ErrorForbidden (403): the client is not allowed this request.
	ErrorForbidden ErrorKind = "forbidden"
	// ErrorTimeout (408): the body did not arrive in time.
	ErrorTimeout ErrorKind = "request-timeout"
	// ErrorKeyReused (422): an Idempotency-Key was sent again with a
	// different body.
	ErrorKeyReused ErrorKind = "idempotency-key-reused"
	// ErrorUnavailable (503 with Retry-After): the service is busy or
	// stopping; retry later.
	ErrorUnavailable ErrorKind = "service-unavailable"
	// ErrorStorageFull (507 with Retry-After): the store is at its limit
	// until a check-in frees room.
	ErrorStorageFull ErrorKind = "storage-full"
)
