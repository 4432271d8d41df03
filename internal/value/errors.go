package value

import "strconv"

// Error reports a value outside the value model.
type Error struct {
	// Path names the offending value, such as "fields.a.b" or
	// "metadata.tags[2]".
	Path string
	// Reason says what is wrong with it.
	Reason string
}

func (e *Error) Error() string {
	return "invalid " + e.Path + ": " + e.Reason
}

// SyntaxError reports a body that is not one strict JSON value: broken
// syntax, invalid UTF-8, a lone surrogate escape or a repeated key.
type SyntaxError struct {
	// Offset is the byte offset in the body where the problem starts.
	Offset int
	// Reason says what is wrong there, such as `duplicate key "event"`.
	Reason string
}

func (e *SyntaxError) Error() string {
	return e.Reason + " at byte offset " + strconv.Itoa(e.Offset)
}
