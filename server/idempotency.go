package server

import (
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/internal/store"
)

// IdempotencyHeader names the request header that makes a command
// idempotent: the first request with a key is stored, a repeat with the same
// key gets the first answer (status and body) and stores nothing.
const IdempotencyHeader = "Idempotency-Key"

// MaxIdempotencyKeyLen is the longest Idempotency-Key accepted.
const MaxIdempotencyKeyLen = 255

// finish stores a command's entry (remembering its answer under the
// request's idempotency key, if any) and sends the answer, or the earlier
// answer for a repeated key. The answer is sent only once the entry is on
// stable storage.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, kind store.Kind, a answer, err error) {
	if err != nil {
		s.log.Error("encoding an answer", "kind", kind.String(), "err", err)
		s.writeError(w, &apiError{Status: http.StatusInternalServerError, Kind: KindApplicationError, Msg: msgUncaught})
		return
	}
	key := r.Header.Get(IdempotencyHeader)
	if len(key) > MaxIdempotencyKeyLen {
		s.writeError(w, &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData,
			Msg: "The " + IdempotencyHeader + " header is longer than " + strconv.Itoa(MaxIdempotencyKeyLen) + " bytes."})
		return
	}
	if key == "" && a.data == nil {
		writeBody(w, a.status, a.body)
		return
	}
	if key != "" {
		key = kind.String() + ":" + key // a key names one request of one command
	}
	prior, dup, err := s.store.Append(r.Context(), kind, a.data, key, encodeReply(a.status, a.body))
	if err != nil {
		s.log.Error("storing an entry", "kind", kind.String(), "err", err)
		s.writeError(w, &apiError{Status: http.StatusServiceUnavailable, Kind: KindStorageError,
			Msg: "The entry could not be stored; it is safe to retry. Check the log for details."})
		return
	}
	if dup {
		if status, body, ok := decodeReply(prior); ok {
			writeBody(w, status, body)
			return
		}
		s.log.Error("unreadable remembered answer", "kind", kind.String(), "key", key)
	}
	writeBody(w, a.status, a.body)
}

// encodeReply packs an answer as three status digits and the body.
func encodeReply(status int, body []byte) []byte {
	out := make([]byte, 0, 3+len(body))
	out = strconv.AppendInt(out, int64(status), 10)
	return append(out, body...)
}

// decodeReply unpacks encodeReply's format.
func decodeReply(b []byte) (int, []byte, bool) {
	if len(b) < 3 {
		return 0, nil, false
	}
	status, err := strconv.Atoi(string(b[:3]))
	if err != nil || status < 100 || status > 999 {
		return 0, nil, false
	}
	return status, b[3:], true
}
