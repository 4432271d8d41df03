package analytics

import "encoding/json"

// decodeBatchAnswer reads a batch answer, {"results":[{"status":S,
// "body":B},...]}, and returns its n results. The shape our service writes
// is read by a scan without reflection, the bodies aliasing raw; anything
// else (other members, escapes in names, a different order) goes through
// encoding/json, so the scan never decides what is valid.
func decodeBatchAnswer(raw []byte, n int) ([]batchResult, bool) {
	if res, ok := scanBatchAnswer(raw, n); ok {
		return res, true
	}
	var res struct {
		Results []batchResult `json:"results"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res.Results) != n {
		return nil, false
	}
	return res.Results, true
}

// scanBatchAnswer is decodeBatchAnswer's fast path; it reports false for
// anything but the exact shape it expects.
func scanBatchAnswer(raw []byte, n int) ([]batchResult, bool) {
	s := scanner{b: raw}
	if !s.lit(`{`) || !s.lit(`"results"`) || !s.lit(`:`) || !s.lit(`[`) {
		return nil, false
	}
	res := make([]batchResult, 0, n)
	for len(res) < n {
		if len(res) > 0 && !s.lit(`,`) {
			return nil, false
		}
		if !s.lit(`{`) || !s.lit(`"status"`) || !s.lit(`:`) {
			return nil, false
		}
		status, ok := s.int()
		if !ok || !s.lit(`,`) || !s.lit(`"body"`) || !s.lit(`:`) {
			return nil, false
		}
		body, ok := s.value()
		if !ok || !s.lit(`}`) {
			return nil, false
		}
		res = append(res, batchResult{Status: status, Body: body})
	}
	if !s.lit(`]`) || !s.lit(`}`) {
		return nil, false
	}
	s.space()
	return res, s.i == len(s.b)
}

// scanner walks JSON text for scanBatchAnswer.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\r' || s.b[s.i] == '\t') {
		s.i++
	}
}

// lit consumes the literal text t after optional white space.
func (s *scanner) lit(t string) bool {
	s.space()
	if len(s.b)-s.i < len(t) || string(s.b[s.i:s.i+len(t)]) != t {
		return false
	}
	s.i += len(t)
	return true
}

// int consumes a status code: three decimal digits.
func (s *scanner) int() (int, bool) {
	s.space()
	if len(s.b)-s.i < 3 {
		return 0, false
	}
	if s.b[s.i] == '0' { // JSON numbers have no leading zeros
		return 0, false
	}
	n := 0
	for _, c := range s.b[s.i : s.i+3] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	s.i += 3
	if s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		return 0, false
	}
	return n, true
}

// value consumes one JSON value and returns its text, checked with
// json.Valid: the scan finds where it ends, not whether it is right.
func (s *scanner) value() (json.RawMessage, bool) {
	s.space()
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if !s.skipString() {
				return nil, false
			}
			if depth == 0 {
				return s.raw(start)
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the enclosing object: a scalar ends here
				return s.raw(start)
			}
			depth--
			if depth == 0 {
				s.i++
				return s.raw(start)
			}
		case ',':
			if depth == 0 {
				return s.raw(start)
			}
		}
		s.i++
	}
	return nil, false
}

func (s *scanner) raw(start int) (json.RawMessage, bool) {
	v := s.b[start:s.i:s.i]
	return v, len(v) > 0 && json.Valid(v)
}

// skipString consumes a string, escapes included.
func (s *scanner) skipString() bool {
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return true
		}
	}
	return false
}
