// Package value is the value model that the client and the service share:
// what an event or a snapshot may carry (Check*), the strict JSON decoder
// the service reads bodies with (Decode), and the canonical encoding of a
// decoded payload (Canonical).
//
// The rules, on both sides:
//   - a field value is a scalar (string, number, boolean), a map from
//     string keys to scalars, or a list of scalars or of maps from string
//     keys to scalars; nothing deeper, no null, no empty key;
//   - a number is finite as a float64 (1e400 and NaN are not);
//   - text (keys, names, string values) is valid UTF-8, so it holds no
//     lone UTF-16 surrogate;
//   - a JSON object names each key once.
//
// The client reports a broken rule as an *Error naming the path; the
// service answers 422 for the model's rules and 400, naming the byte
// offset, for a body that is not strict JSON (*SyntaxError).
package value

// TimeFormat is the layout of the service's timestamps: UTC, RFC 3339 with
// milliseconds, such as 2026-05-01T12:00:00.000Z.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"
