package value

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Canonical encodes v, a value as Decode returns it, in one canonical form,
// so that two payloads mean the same exactly when their canonical bytes are
// equal: no whitespace, object keys in byte order, numbers as their
// literals, strings escaped only where JSON requires it (the quote, the
// backslash and control characters, in their short forms where JSON has
// one). Two bodies that differ only in whitespace, key order or optional
// escapes ("\u0041" for "A") have the same canonical bytes; 1 and 1.0 do
// not, as the service stores the literal.
//
// It fails on anything Decode does not return, and on text that is not
// valid UTF-8.
func Canonical(v any) ([]byte, error) {
	return appendCanonical(nil, v)
}

// appendCanonical appends the canonical encoding of v to dst.
func appendCanonical(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case json.Number:
		if !isNumber(string(x)) {
			return nil, fmt.Errorf("canonical encoding: %q is not a number", string(x))
		}
		return append(dst, x...), nil
	case string:
		return appendString(dst, x)
	case []any:
		return appendList(dst, x)
	case map[string]any:
		return appendObject(dst, x)
	}
	return nil, fmt.Errorf("canonical encoding: unsupported type %T", v)
}

func appendList(dst []byte, x []any) ([]byte, error) {
	dst = append(dst, '[')
	for i, item := range x {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendCanonical(dst, item); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

func appendObject(dst []byte, x map[string]any) ([]byte, error) {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendString(dst, k); err != nil {
			return nil, err
		}
		dst = append(dst, ':')
		if dst, err = appendCanonical(dst, x[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func appendString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("canonical encoding: text %q is not valid UTF-8", s)
	}
	return AppendQuoted(dst, s, false), nil
}
