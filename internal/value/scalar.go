package value

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// validText reports whether s is text the value model allows: valid UTF-8.
// A lone UTF-16 surrogate (U+D800 to U+DFFF) has no valid UTF-8 encoding,
// so valid UTF-8 holds none.
func validText(s string) bool {
	return utf8.ValidString(s)
}

// checkText checks the text at path. JSON encoders silently replace what
// is not valid UTF-8 with U+FFFD, so it is refused rather than changed.
func checkText(path, s string) error {
	if validText(s) {
		return nil
	}
	return &Error{Path: path, Reason: "text is not valid UTF-8 at byte " + strconv.Itoa(invalidAt(s)) +
		" (a broken sequence or a lone surrogate)"}
}

// checkKey checks a map key under path: not empty, valid UTF-8.
func checkKey(path, k string) error {
	switch {
	case k == "":
		return &Error{Path: path, Reason: "key must not be empty"}
	case !validText(k):
		return &Error{Path: path, Reason: "key " + strconv.Quote(k) + " is not valid UTF-8 at byte " + strconv.Itoa(invalidAt(k))}
	}
	return nil
}

// invalidAt is the byte offset of the first invalid UTF-8 sequence in s.
func invalidAt(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

func finite(f float64) bool {
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

func checkFloat(path string, f float64) error {
	if math.IsNaN(f) {
		return &Error{Path: path, Reason: "NaN cannot be sent as JSON"}
	}
	if math.IsInf(f, 0) {
		return &Error{Path: path, Reason: "infinity cannot be sent as JSON"}
	}
	return nil
}

// checkNumber checks a number literal: JSON syntax, finite as a float64.
func checkNumber(path, s string) error {
	if !isNumber(s) {
		return &Error{Path: path, Reason: "json.Number " + strconv.Quote(s) + " is not a number"}
	}
	if !numberFinite(s) {
		return &Error{Path: path, Reason: "number " + s + " is out of the range of a float64 (±1.7976931348623157e308)"}
	}
	return nil
}

// numberFinite reports whether the number literal s is finite as a
// float64. Readers that decode numbers as float64 (most JSON libraries)
// would see ±Inf for 1e400 or fail on it. A literal too small for a
// float64 (1e-400) reads as zero and is finite.
func numberFinite(s string) bool {
	if len(s) <= 300 && !hasExponent(s) {
		return true // at most 300 digits: below 1e300
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func hasExponent(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 'e' || s[i] == 'E' {
			return true
		}
	}
	return false
}

// isNumber reports whether s is a number literal as JSON defines it.
func isNumber(s string) bool {
	end, ok := scanNumber(s, 0)
	return ok && end == len(s)
}

// scanNumber scans the JSON number starting at s[i]. It returns the end of
// the number and true, or the offset of the first byte that cannot
// continue one (len(s) at the end) and false.
func scanNumber[T string | []byte](s T, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		start := i + 1
		if i = digits(s, start); i == start {
			return i, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		if i = digits(s, i); i == start {
			return i, false
		}
	}
	return i, true
}

// digits returns the end of the run of digits at s[i].
func digits[T string | []byte](s T, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
