package analytics

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/analytics-client/analytics/internal/value"
)

// The Reporter encodes payloads with these appenders rather than
// encoding/json, whose reflection was a quarter of a durable Event's cost.
// They write exactly what json.Marshal writes (sorted keys, the same
// escapes and number forms) for the value types that are common in
// Fields, and hand every other value to json.Marshal; a test compares the
// two on every kind of value.

// appendEventJSON appends e in its wire shape (see Event.MarshalJSON).
func appendEventJSON(dst []byte, e Event) ([]byte, error) {
	dst = append(dst, `{"event":`...)
	dst = appendJSONString(dst, e.Name)
	if e.Metadata != nil {
		var err error
		dst = append(dst, `,"metadata":`...)
		if dst, err = appendFieldsJSON(dst, e.Metadata); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendSnapshotJSON appends {"fields":...}, as json.Marshal(Snapshot).
func appendSnapshotJSON(dst []byte, f Fields) ([]byte, error) {
	dst = append(dst, `{"fields":`...)
	if f == nil {
		dst = append(dst, "null"...)
	} else {
		var err error
		if dst, err = appendFieldsJSON(dst, f); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendFieldsJSON appends a non-nil map with its keys in order.
func appendFieldsJSON(dst []byte, f map[string]any) ([]byte, error) {
	var buf [16]string
	keys := buf[:0]
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValueJSON(dst, f[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

func appendStringMapJSON(dst []byte, m map[string]string) []byte {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = appendJSONString(dst, m[k])
	}
	return append(dst, '}')
}

// appendValueJSON appends one value of the value model.
func appendValueJSON(dst []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return appendJSONString(dst, v), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case float64:
		return appendJSONFloat(dst, v, 64)
	case float32:
		return appendJSONFloat(dst, float64(v), 32)
	case map[string]any:
		if v != nil {
			return appendFieldsJSON(dst, v)
		}
	case Fields:
		if v != nil {
			return appendFieldsJSON(dst, v)
		}
	case map[string]string:
		if v != nil {
			return appendStringMapJSON(dst, v), nil
		}
	case []string:
		if v != nil {
			dst = append(dst, '[')
			for i, s := range v {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, s)
			}
			return append(dst, ']'), nil
		}
	case []any:
		if v != nil {
			dst = append(dst, '[')
			for i, x := range v {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = appendValueJSON(dst, x); err != nil {
					return nil, err
				}
			}
			return append(dst, ']'), nil
		}
	}
	b, err := json.Marshal(v) // the rarer kinds, and typed nils
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendJSONFloat appends f as encoding/json does for a float of bits.
func appendJSONFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, bits)}
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// appendJSONString appends s quoted as encoding/json quotes it.
func appendJSONString(dst []byte, s string) []byte { return value.AppendQuoted(dst, s, true) }

// appendID appends a new idempotency key: 32 hex digits, now (Unix
// nanoseconds) then 64 random bits. math/rand/v2's generator is a
// per-thread ChaCha8 seeded by the system, so keys from every reporter are
// unique in practice, and making one takes no lock and no system call.
func appendID(dst []byte, now int64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now))
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	return hex.AppendEncode(dst, b[:])
}
