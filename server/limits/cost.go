package limits

import "errors"

// What a decoded command costs in memory while it is handled, per byte
// of body and per JSON value, measured on snapshots of tiny fields (about
// 800 bytes allocated and 300 live per field): the parsed map, the
// reply, the stored entry and the idempotency sum each hold a copy.
const (
	costPerByte  = 5
	costPerValue = 512
)

// DecodedCost estimates the memory a JSON body of n bytes holding values
// values (CountValues) takes once decoded and answered. The service
// reserves it from its Budget before decoding, since a body of tiny
// values costs about a hundred times its size.
func DecodedCost(n, values int) int64 {
	return int64(n)*costPerByte + int64(values)*costPerValue
}

// CountValues counts the JSON values in body without decoding it: one for
// the whole, and one for each element of an array and each member of an
// object, at any depth. A container of k elements has k-1 commas, so the
// count is 1 + commas + non-empty containers, all outside strings. Bytes
// that are not JSON are counted all the same; the decoder refuses them.
func CountValues(body []byte) int {
	n, inString, escaped, opened := 1, false, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			continue
		}
		if opened && c != '}' && c != ']' {
			n++ // the container just opened is not empty
		}
		opened = false
		switch c {
		case '"':
			inString = true
		case ',':
			n++
		case '{', '[':
			opened = true
		}
	}
	return n
}

// ErrTooManyValues: a body holds more JSON values than the limit
// ReserveDecoding was given.
var ErrTooManyValues = errors.New("limits: body holds more JSON values than the limit")

// ReserveDecoding refuses a body holding more than maxValues JSON values
// (ErrTooManyValues) and reserves from budget what decoding it will cost
// (DecodedCost) beyond held, the bytes its buffer holds already; extra is
// what was reserved, to give back with them. A cost larger than ceiling
// (the whole budget) reserves the ceiling: such a body is handled alone.
func ReserveDecoding(budget Reserver, body []byte, held int64, maxValues int, ceiling int64) (extra int64, values int, err error) {
	if values = CountValues(body); values > maxValues {
		return 0, values, ErrTooManyValues
	}
	extra = min(DecodedCost(len(body), values), ceiling) - held
	if extra <= 0 {
		return 0, values, nil
	}
	if err := budget.Reserve(extra, held); err != nil {
		return 0, values, err
	}
	return extra, values, nil
}
