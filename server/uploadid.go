package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"

	"github.com/analytics-client/analytics/internal/store"
)

// UploadIDHeader carries a check-in upload's id, so that the update server
// can de-duplicate: the id names the site and the entries the upload
// covers, and a check-in interrupted after the upstream received the body
// (the replica killed, the delete failed) re-sends the same entries under
// the same id, whichever replica retries.
const UploadIDHeader = "Idempotency-Key"

// uploadRangeSum is the Sum of the store record that pins an upload's range.
var uploadRangeSum = []byte("check-in upload range")

// everything is the bound of an upload that takes every entry (the preview).
var everything = uploaded{lastEvent: math.MaxUint64, lastSn: math.MaxUint64}

// errUploadEnd stops a scan at the end of the pinned range.
var errUploadEnd = errors.New("end of the upload's range")

// uploadRange pins the entries the next upload covers and returns its id:
// from the first stored entry of each collection through the newest. The
// range is remembered in the store under the first entries' numbers, so an
// upload that did not get as far as deleting its entries is sent again
// with the same range (entries stored since wait for the next check-in),
// and so with the same id.
func (s *Server) uploadRange(ctx context.Context) (string, uploaded, error) {
	var first, last [2]uint64
	for i, kind := range []store.Kind{store.Events, store.Snapshots} {
		var err error
		if first[i], last[i], err = s.storedRange(ctx, kind); err != nil {
			return "", uploaded{}, err
		}
	}
	key := fmt.Sprintf("check-in:%d:%d", first[0], first[1])
	pinned := fmt.Sprintf("%d:%d", last[0], last[1])
	r := s.store.Append(ctx, []store.Record{{Kind: store.Events, Key: key, Sum: uploadRangeSum, Reply: []byte(pinned)}})[0]
	switch {
	case r.Err != nil:
		return "", uploaded{}, fmt.Errorf("pinning the upload's range: %w", r.Err)
	case r.Dup:
		if _, err := fmt.Sscanf(string(r.Prior), "%d:%d", &last[0], &last[1]); err != nil {
			return "", uploaded{}, fmt.Errorf("the pinned upload range %q: %w", r.Prior, err)
		}
	}
	head, err := s.uploadHead()
	if err != nil {
		return "", uploaded{}, err
	}
	sum := sha256.Sum256(fmt.Appendf(head, "\nevents %d-%d\nsnapshots %d-%d", first[0], last[0], first[1], last[1]))
	return hex.EncodeToString(sum[:]), uploaded{lastEvent: last[0], lastSn: last[1]}, nil
}

// storedRange returns the first and newest sequence numbers of kind (0, 0
// when it is empty).
func (s *Server) storedRange(ctx context.Context, kind store.Kind) (first, last uint64, err error) {
	err = s.store.Scan(ctx, kind, 0, func(e store.Entry) error {
		first = e.Seq
		return errUploadEnd
	})
	if err != nil && !errors.Is(err, errUploadEnd) {
		return 0, 0, err
	}
	if n, ok := s.store.(store.Newest); ok {
		last, err = n.Newest(ctx, kind)
		return first, last, err
	}
	err = s.store.Scan(ctx, kind, 0, func(e store.Entry) error { last = e.Seq; return nil })
	return first, last, err
}
