package tkconfig

import (
	"errors"
	"strconv"
	"strings"
)

// Conditions carried by *Error. Test for them with errors.Is.
var (
	// ErrDuplicate means two files set the same key, or one file set a key
	// that another file uses as an object. Trapperkeeper refuses such a
	// configuration rather than let file order decide.
	ErrDuplicate = errors.New("duplicate configuration entry")

	// ErrSyntax means a file could not be parsed.
	ErrSyntax = errors.New("syntax error")

	// ErrUnresolved means a required ${substitution} names neither an
	// earlier key nor an environment variable.
	ErrUnresolved = errors.New("unresolved substitution")

	// ErrType means a typed getter found a value it cannot convert.
	ErrType = errors.New("wrong type")

	// ErrUnknownKey means a section holds a key that is not one of its
	// settings (see Config.UnknownKeys).
	ErrUnknownKey = errors.New("unknown setting")
)

// Error reports a configuration problem with whatever location is known.
// Err holds the condition (ErrDuplicate, ErrSyntax, ErrUnresolved, ErrType,
// ErrUnknownKey)
// or the underlying I/O error, so errors.Is works on both.
type Error struct {
	File string // file involved; "" if none
	Line int    // 1-based line in File; 0 when the parser does not know it
	Col  int    // 1-based column (in characters); 0 when unknown
	Key  string // HOCON path of the key involved, e.g. webserver.port; "" if none

	// OtherFile and OtherLine name the earlier definition of a duplicate key.
	OtherFile string
	OtherLine int

	Reason string // what is wrong, in words
	Err    error  // condition or cause; may be nil
}

// Error reads "file:line:col: key k: reason". It has no package prefix:
// the file names where the problem is, and the program that loaded the
// configuration adds its own name.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(location(e.File, e.Line, e.Col))
		b.WriteString(": ")
	}
	if e.Key != "" && !errors.Is(e.Err, ErrDuplicate) {
		b.WriteString("key ")
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	if e.OtherFile != "" {
		b.WriteString(" (also set in ")
		b.WriteString(location(e.OtherFile, e.OtherLine, 0))
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the condition or cause.
func (e *Error) Unwrap() error { return e.Err }

func location(file string, line, col int) string {
	s := file
	if line > 0 {
		s += ":" + strconv.Itoa(line)
		if col > 0 {
			s += ":" + strconv.Itoa(col)
		}
	}
	return s
}

// duplicateError reports path set by both earlier (from a previous file) and
// later, in Trapperkeeper's words.
func duplicateError(path []string, earlier, later *node) *Error {
	return &Error{
		File:      later.file,
		Line:      later.line,
		Key:       renderPath(path),
		OtherFile: earlier.file,
		OtherLine: earlier.line,
		Reason:    "Duplicate configuration entry: [" + strings.Join(path, " ") + "]",
		Err:       ErrDuplicate,
	}
}

// renderPath writes path as a HOCON path expression, quoting the segments
// that would not read back as a single unquoted segment.
func renderPath(path []string) string {
	parts := make([]string, len(path))
	for i, s := range path {
		if plainSegment(s) {
			parts[i] = s
		} else {
			parts[i] = strconv.Quote(s)
		}
	}
	return strings.Join(parts, ".")
}

func plainSegment(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
