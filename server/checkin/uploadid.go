package checkin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
)

// UploadIDHeader carries a check-in upload's id, so that the update server
// can de-duplicate: the id names the site and the entries the upload
// covers, and a check-in interrupted after the upstream received the body
// (the replica killed, the delete failed) re-sends the same entries under
// the same id, whichever replica retries.
const UploadIDHeader = "Idempotency-Key"

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
func (c *Checker) uploadRange(ctx context.Context) (string, uploaded, error) {
	var first, last [2]uint64
	for i, collection := range []string{Events, Snapshots} {
		var err error
		if first[i], last[i], err = c.store.Range(ctx, collection); err != nil {
			return "", uploaded{}, err
		}
	}
	key := fmt.Sprintf("check-in:%d:%d", first[0], first[1])
	prior, err := c.store.Pin(ctx, key, fmt.Sprintf("%d:%d", last[0], last[1]))
	if err != nil {
		return "", uploaded{}, fmt.Errorf("pinning the upload's range: %w", err)
	}
	if prior != "" {
		if _, err := fmt.Sscanf(prior, "%d:%d", &last[0], &last[1]); err != nil {
			return "", uploaded{}, fmt.Errorf("the pinned upload range %q: %w", prior, err)
		}
	}
	head, err := c.uploadHead()
	if err != nil {
		return "", uploaded{}, err
	}
	sum := sha256.Sum256(fmt.Appendf(head, "\nevents %d-%d\nsnapshots %d-%d", first[0], last[0], first[1], last[1]))
	return hex.EncodeToString(sum[:]), uploaded{lastEvent: last[0], lastSn: last[1]}, nil
}
