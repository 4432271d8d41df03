package value

import (
	"encoding/json"
	"strconv"
)

// MaxDepth is the deepest nesting of arrays and objects Decode accepts, the
// same as encoding/json's.
const MaxDepth = 10000

// Decode parses data as exactly one JSON value (whitespace around it
// allowed) into the types encoding/json uses for an any with UseNumber:
// map[string]any, []any, string, json.Number, bool and nil. Numbers keep
// their literal.
//
// It is stricter than encoding/json, which silently replaces invalid UTF-8
// and lone surrogate escapes with U+FFFD and keeps the last of repeated
// keys: here each is a *SyntaxError naming its byte offset in data, as is
// any syntax error.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	d.skipSpace()
	if d.i == len(d.data) {
		return nil, &SyntaxError{Offset: d.i, Reason: "no JSON value"}
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	end := d.i
	if d.skipSpace(); d.i != len(d.data) {
		return nil, &SyntaxError{Offset: end, Reason: "unexpected data after the JSON value"}
	}
	return v, nil
}

// decoder is one Decode: the input and the offset of the next byte.
type decoder struct {
	data  []byte
	i     int
	depth int
}

func (d *decoder) skipSpace() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value parses the value at d.i, which is not whitespace.
func (d *decoder) value() (any, error) {
	if d.i == len(d.data) {
		return nil, d.unexpectedEnd()
	}
	switch c := d.data[d.i]; c {
	case '{':
		return d.object()
	case '[':
		return d.array()
	case '"':
		return d.string()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.number()
		}
		return nil, d.invalid("looking for the start of a value")
	}
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	m := map[string]any{}
	if d.skipSpace(); d.i < len(d.data) && d.data[d.i] == '}' {
		d.i++
		d.depth--
		return m, nil
	}
	for {
		if err := d.member(m); err != nil {
			return nil, err
		}
		if more, err := d.next('}', "after an object value"); err != nil || !more {
			return m, err
		}
	}
}

// member parses one "key": value of an object into m.
func (d *decoder) member(m map[string]any) error {
	at := d.i
	if d.i == len(d.data) || d.data[d.i] != '"' {
		return d.invalidOrEnd("looking for an object key")
	}
	k, err := d.string()
	if err != nil {
		return err
	}
	if _, dup := m[k]; dup {
		return &SyntaxError{Offset: at, Reason: "duplicate key " + quoteShort(k)}
	}
	if d.skipSpace(); d.i == len(d.data) || d.data[d.i] != ':' {
		return d.invalidOrEnd("after an object key")
	}
	d.i++
	d.skipSpace()
	m[k], err = d.value()
	return err
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	list := []any{}
	if d.skipSpace(); d.i < len(d.data) && d.data[d.i] == ']' {
		d.i++
		d.depth--
		return list, nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		list = append(list, v)
		if more, err := d.next(']', "after an array element"); err != nil || !more {
			return list, err
		}
	}
}

// next steps over what follows an element of an object or array: a ','
// and the whitespace after it (more is true), or the closing byte.
func (d *decoder) next(closing byte, where string) (more bool, err error) {
	if d.skipSpace(); d.i == len(d.data) {
		return false, d.unexpectedEnd()
	}
	switch d.data[d.i] {
	case ',':
		d.i++
		d.skipSpace()
		return true, nil
	case closing:
		d.i++
		d.depth--
		return false, nil
	}
	return false, d.invalid(where)
}

// enter steps over the '{' or '[' at d.i into one more level of nesting.
func (d *decoder) enter() error {
	if d.depth++; d.depth > MaxDepth {
		return &SyntaxError{Offset: d.i, Reason: "nesting deeper than " + strconv.Itoa(MaxDepth)}
	}
	d.i++
	return nil
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.i >= len(word) && string(d.data[d.i:d.i+len(word)]) == word {
		d.i += len(word)
		return nil
	}
	for n := 1; n < len(word); n++ {
		if d.i+n == len(d.data) {
			return d.unexpectedEnd()
		}
		if d.data[d.i+n] != word[n] {
			d.i += n
			return d.invalid("in literal " + word)
		}
	}
	return nil // not reached: the whole word would have matched
}

func (d *decoder) number() (any, error) {
	end, ok := scanNumber(d.data, d.i)
	if !ok {
		d.i = end
		return nil, d.invalidOrEnd("in a number")
	}
	n := json.Number(d.data[d.i:end])
	d.i = end
	return n, nil
}

func (d *decoder) unexpectedEnd() error {
	return &SyntaxError{Offset: len(d.data), Reason: "unexpected end of JSON input"}
}

// invalid reports the byte at d.i as out of place.
func (d *decoder) invalid(where string) error {
	return &SyntaxError{Offset: d.i, Reason: "invalid character " + quoteChar(d.data[d.i]) + " " + where}
}

func (d *decoder) invalidOrEnd(where string) error {
	if d.i >= len(d.data) {
		return d.unexpectedEnd()
	}
	return d.invalid(where)
}

// quoteChar renders a byte for a message: 'x' when printable ASCII, else
// its hex value.
func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

// quoteShort quotes a key for a message, cut to about 64 bytes.
func quoteShort(s string) string {
	const limit = 64
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not in the middle of a rune
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
