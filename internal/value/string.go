package value

import (
	"unicode/utf16"
	"unicode/utf8"
)

// plain reports the bytes a string holds as they are: printable ASCII
// other than '"' and '\\'. Everything else takes a closer look.
func plain(c byte) bool {
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
}

// string parses the string at d.i (its opening quote). The common string,
// plain ASCII or valid UTF-8 without escapes, is one copy.
func (d *decoder) string() (string, error) {
	start := d.i + 1
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case plain(c):
			i++
		case c == '"':
			d.i = i + 1
			return string(d.data[start:i]), nil
		case c == '\\':
			return d.escaped(start, i)
		case c < 0x20:
			d.i = i
			return "", d.invalid("in a string (control characters must be escaped)")
		default:
			n, err := d.rune(i)
			if err != nil {
				return "", err
			}
			i += n
		}
	}
	return "", d.unexpectedEnd()
}

// rune checks the multi-byte UTF-8 sequence at data[i] and returns its
// length.
func (d *decoder) rune(i int) (int, error) {
	r, n := utf8.DecodeRune(d.data[i:])
	if r == utf8.RuneError && n <= 1 {
		return 0, &SyntaxError{Offset: i, Reason: "invalid UTF-8"}
	}
	return n, nil
}

// escaped finishes a string whose first escape is at data[i], decoding
// into a new buffer.
func (d *decoder) escaped(start, i int) (string, error) {
	buf := make([]byte, 0, i-start+16)
	buf = append(buf, d.data[start:i]...)
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case plain(c):
			buf = append(buf, c)
			i++
		case c == '"':
			d.i = i + 1
			return string(buf), nil
		case c == '\\':
			var err error
			if buf, i, err = d.escape(buf, i); err != nil {
				return "", err
			}
		case c < 0x20:
			d.i = i
			return "", d.invalid("in a string (control characters must be escaped)")
		default:
			n, err := d.rune(i)
			if err != nil {
				return "", err
			}
			buf = append(buf, d.data[i:i+n]...)
			i += n
		}
	}
	return "", d.unexpectedEnd()
}

// escape appends the escape at data[i] (a backslash) to buf and returns
// the offset after it.
func (d *decoder) escape(buf []byte, i int) ([]byte, int, error) {
	if i+1 >= len(d.data) {
		return nil, 0, d.unexpectedEnd()
	}
	switch c := d.data[i+1]; c {
	case '"', '\\', '/':
		return append(buf, c), i + 2, nil
	case 'b':
		return append(buf, '\b'), i + 2, nil
	case 'f':
		return append(buf, '\f'), i + 2, nil
	case 'n':
		return append(buf, '\n'), i + 2, nil
	case 'r':
		return append(buf, '\r'), i + 2, nil
	case 't':
		return append(buf, '\t'), i + 2, nil
	case 'u':
		return d.unicodeEscape(buf, i)
	}
	d.i = i + 1
	return nil, 0, d.invalid("in a string escape")
}

// unicodeEscape appends the \uXXXX escape at data[i], with the low half
// that must follow a high surrogate. A surrogate without its other half
// is an error: it has no UTF-8 encoding, and encoding/json would turn it
// into U+FFFD.
func (d *decoder) unicodeEscape(buf []byte, i int) ([]byte, int, error) {
	r, err := d.hex4(i + 2)
	if err != nil {
		return nil, 0, err
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return nil, 0, d.loneSurrogate(i)
	case r >= 0xD800 && r <= 0xDBFF:
		if i+7 >= len(d.data) || d.data[i+6] != '\\' || d.data[i+7] != 'u' {
			return nil, 0, d.loneSurrogate(i)
		}
		low, err := d.hex4(i + 8)
		if err != nil {
			return nil, 0, err
		}
		if low < 0xDC00 || low > 0xDFFF {
			return nil, 0, d.loneSurrogate(i)
		}
		return utf8.AppendRune(buf, utf16.DecodeRune(r, low)), i + 12, nil
	}
	return utf8.AppendRune(buf, r), i + 6, nil
}

func (d *decoder) loneSurrogate(i int) error {
	return &SyntaxError{Offset: i, Reason: "lone surrogate " + string(d.data[i:i+6])}
}

// hex4 reads the four hex digits at data[i].
func (d *decoder) hex4(i int) (rune, error) {
	var r rune
	for j := i; j < i+4; j++ {
		if j >= len(d.data) {
			return 0, d.unexpectedEnd()
		}
		c := d.data[j]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			d.i = j
			return 0, d.invalid("in a \\u escape")
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}
