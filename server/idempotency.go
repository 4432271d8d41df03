package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/value"
)

// IdempotencyHeader names the request header that makes a command
// idempotent: the first request with a key is stored, a repeat with the same
// key and the same payload gets the first answer (status and body) and
// stores nothing, and a repeat with another payload gets 422
// idempotency-key-reused and stores nothing.
const IdempotencyHeader = "Idempotency-Key"

// MaxIdempotencyKeyLen is the longest idempotency key accepted, in the
// Idempotency-Key header or as a batch item's "key"; a longer one gets 400.
const MaxIdempotencyKeyLen = 255

// KindKeyReused is the error kind of a 422 for an idempotency key sent
// again with a different payload.
const KindKeyReused = "idempotency-key-reused"

// verdict is what a command's answer depends on besides its payload: when
// it was received and what the whitelist refused. It is all an idempotency
// key remembers: a repeat carries the same payload (its sum proves it), so
// its answer is built again from its own payload and the first verdict.
type verdict struct {
	stamp    string
	rejected map[string]string // nil: nothing refused
}

// encode packs v as the stamp followed by the refusals as a JSON object,
// when there are any: about 25 bytes for an accepted command.
func (v verdict) encode() []byte {
	b := []byte(v.stamp)
	if len(v.rejected) > 0 {
		r, err := json.Marshal(v.rejected)
		if err == nil {
			b = append(b, r...)
		}
	}
	return b
}

// decodeVerdict unpacks verdict.encode's format.
func decodeVerdict(b []byte) (verdict, bool) {
	i := bytes.IndexByte(b, '{')
	if i < 0 {
		return verdict{stamp: string(b)}, len(b) > 0
	}
	v := verdict{stamp: string(b[:i])}
	if err := json.Unmarshal(b[i:], &v.rejected); err != nil || i == 0 {
		return verdict{}, false
	}
	return v, true
}

// requestSum identifies a command's payload for its idempotency key: the
// SHA-256 of its canonical encoding (value.Canonical: object keys sorted,
// numbers as sent, no insignificant whitespace or optional escapes), so
// that the same command formatted differently is still the same request.
func requestSum(payload map[string]any) ([]byte, error) {
	b, err := value.Canonical(payload)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

// commit stores prepared commands in their order (an entry, a remembered
// key, or both) and returns their answers: each its own, the first answer
// for a repeated key, or an error answer. It returns only once the entries
// are on stable storage; concurrent commits share the store's group commit.
func (s *Server) commit(ctx context.Context, ps []prepared) []outcome {
	out := make([]outcome, len(ps))
	recs := make([]store.Record, 0, len(ps))
	at := make([]int, 0, len(ps))
	for i, p := range ps {
		if p.key == "" && p.data == nil {
			out[i] = outcome{status: p.status, body: p.body} // nothing to store or remember
			continue
		}
		recs = append(recs, store.Record{Kind: p.kind, Data: p.data, Key: p.key, Sum: p.sum, Reply: p.verdict.encode()})
		at = append(at, i)
	}
	if len(recs) == 0 {
		return out
	}
	for n, r := range s.store.Append(ctx, recs) {
		out[at[n]] = s.committed(ps[at[n]], r)
	}
	return out
}

// committed turns the store's result for p into the answer to send.
func (s *Server) committed(p prepared, r store.Result) outcome {
	s.views.NoteStored(p.kind.Collection(), p.data, r.Dup, r.Err)
	switch {
	case errors.Is(r.Err, store.ErrKeyReused):
		return keyReused().outcome()
	case r.Err != nil:
		return s.storageFailed(p.kind, r.Err).outcome()
	case !r.Dup:
		return outcome{status: p.status, body: p.body}
	}
	v, ok := decodeVerdict(r.Prior)
	if !ok {
		s.log.Error("unreadable remembered answer", "kind", p.kind.Collection(), "key", p.key)
		return s.storageFailed(p.kind, errors.New("unreadable remembered answer")).outcome()
	}
	a, err := p.build(v)
	if err != nil {
		return s.encodingFailed(p.kind, err).outcome()
	}
	return outcome{status: a.status, body: a.body}
}

// keyReused answers a key sent again with another payload.
func keyReused() *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Kind: KindKeyReused,
		Msg: "The idempotency key was used before for a different request; nothing was stored. Use a new key for a new request."}
}
