package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/internal/store"
)

// IdempotencyHeader names the request header that makes a command
// idempotent: the first request with a key is stored, a repeat with the same
// key gets the first answer (status and body) and stores nothing.
const IdempotencyHeader = "Idempotency-Key"

// MaxIdempotencyKeyLen is the longest idempotency key accepted, in the
// Idempotency-Key header or as a batch item's "key"; a longer one gets 400.
const MaxIdempotencyKeyLen = 255

// commit stores a prepared command's entry (remembering its answer under
// its key, if any) and returns the answer, or the earlier answer for a
// repeated key. It returns only once the entry is on stable storage;
// concurrent commits share the store's group commit.
func (s *Server) commit(ctx context.Context, p prepared) outcome {
	if p.key == "" && p.data == nil {
		return outcome{p.status, p.body}
	}
	prior, dup, err := s.store.Append(ctx, p.kind, p.data, p.key, encodeReply(p.status, p.body))
	return s.committed(p, prior, dup, err)
}

// record is what the store keeps for p.
func (p prepared) record() store.Record {
	return store.Record{Kind: p.kind, Data: p.data, Key: p.key, Reply: encodeReply(p.status, p.body)}
}

// committed turns the store's answer for p into the answer to send: p's
// own, the first answer for a repeated key, or a storage error.
func (s *Server) committed(p prepared, prior []byte, dup bool, err error) outcome {
	s.ops.noteStored(p, dup, err)
	if err != nil {
		s.log.Error("storing an entry", "kind", p.kind.String(), "err", err)
		return storageError().outcome()
	}
	if dup {
		if status, body, ok := decodeReply(prior); ok {
			return outcome{status, body}
		}
		s.log.Error("unreadable remembered answer", "kind", p.kind.String(), "key", p.key)
	}
	return outcome{p.status, p.body}
}

// storageError answers a command whose entry could not be stored.
func storageError() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindStorageError,
		Msg: "The entry could not be stored; it is safe to retry. Check the log for details."}
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
