// Package jsonoracle is an independent reading of strict JSON for tests:
// built only on encoding/json and unicode/utf8, it says what a strict
// decoder must accept and what it must return, so fuzz tests can hold
// value.Decode and the service to it.
package jsonoracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// Problems a body can have. A strict decoder refuses a body with any.
const (
	Syntax    = "syntax"    // not exactly one JSON value (encoding/json's reading)
	UTF8      = "utf8"      // not valid UTF-8
	Duplicate = "duplicate" // an object names a key twice
	Surrogate = "surrogate" // a \u escape of a lone UTF-16 surrogate
)

// Decode decodes data as encoding/json does with UseNumber and lists the
// problems that make a strict decoder refuse it (none: it must accept and
// return v).
func Decode(data []byte) (v any, problems []string) {
	if !json.Valid(data) {
		return nil, []string{Syntax}
	}
	if !utf8.Valid(data) {
		problems = append(problems, UTF8)
	}
	problems = append(problems, walk(data)...)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, append(problems, Syntax) // json.Valid said otherwise
	}
	return v, problems
}

// frame is one open object or array during the walk.
type frame struct {
	object    bool
	keys      map[string]bool
	expectKey bool
}

// walk reads data token by token, finding repeated keys and strings whose
// decoded text holds more U+FFFD than the body wrote (encoding/json makes
// one of each lone surrogate).
func walk(data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	found := map[string]bool{}
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) || err != nil {
			break
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok {
			raw := data[before:dec.InputOffset()]
			raw = raw[bytes.IndexByte(raw, '"'):]
			if strings.Count(s, "\uFFFD") > writtenReplacements(raw) {
				found[Surrogate] = true
			}
			if top != nil && top.object && top.expectKey {
				if top.keys[s] {
					found[Duplicate] = true
				}
				top.keys[s] = true
				top.expectKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				top = stack[len(stack)-1]
			} else {
				top = nil
			}
		}
		if top != nil && top.object {
			top.expectKey = true // a value ended
		}
	}
	var out []string
	for _, p := range []string{Duplicate, Surrogate} {
		if found[p] {
			out = append(out, p)
		}
	}
	return out
}

// writtenReplacements counts the U+FFFD a raw JSON string writes: as its
// UTF-8 bytes or as a \uFFFD escape (any case).
func writtenReplacements(raw []byte) int {
	n := bytes.Count(raw, []byte("\uFFFD"))
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if i+5 < len(raw) && raw[i+1] == 'u' && strings.EqualFold(string(raw[i+2:i+6]), "fffd") {
			n++
		}
		i++ // skip the escaped character
	}
	return n
}
