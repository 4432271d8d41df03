package server

import (
	"net/http"
	"strconv"
)

// DefaultMaxFields is the default of Config.MaxFields.
const DefaultMaxFields = 20000

// What a decoded command costs in memory while it is handled, per byte
// of body and per JSON value, measured on snapshots of tiny fields (about
// 800 bytes allocated and 300 live per field): the parsed map, the
// reply, the stored entry and the idempotency sum each hold a copy.
const (
	costPerByte  = 5
	costPerValue = 512
)

// KindTooManyFields is the error kind of a 413 for a body holding more JSON
// values than Config.MaxFields.
const KindTooManyFields = "too-many-fields"

// decodedCost estimates the memory a body of n bytes holding values JSON
// values takes once decoded and answered.
func decodedCost(n, values int) int64 {
	return int64(n)*costPerByte + int64(values)*costPerValue
}

// countValues counts the JSON values in body without decoding it: one for
// the whole, and one for each element of an array and each member of an
// object, at any depth. A container of k elements has k-1 commas, so the
// count is 1 + commas + non-empty containers, all outside strings. Bytes
// that are not JSON are counted all the same; the decoder refuses them.
func countValues(body []byte) int {
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

// chargeDecoding refuses a body holding more than Config.MaxFields values
// (413 naming the limit) and takes from the in-flight budget what decoding
// it will cost beyond the held bytes its buffer has taken already; extra
// is what was taken, to give back with them. A cost larger than the whole
// budget takes the whole budget: such a command is handled alone.
func (s *Server) chargeDecoding(w http.ResponseWriter, r *http.Request, body []byte, held int64) (extra int64, aerr *apiError) {
	values := countValues(body)
	if values > s.cfg.MaxFields {
		return 0, &apiError{Status: http.StatusRequestEntityTooLarge, Kind: KindTooManyFields,
			Msg: "The body holds " + strconv.Itoa(values) + " JSON values, more than the limit of " +
				strconv.Itoa(s.cfg.MaxFields) + " (analytics.max-fields)."}
	}
	extra = min(decodedCost(len(body), values), s.cfg.MaxInflightBytes) - held
	if extra <= 0 {
		return 0, nil
	}
	if aerr := s.takeBody(w, r, extra, held); aerr != nil {
		return 0, aerr
	}
	return extra, nil
}
