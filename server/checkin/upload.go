package checkin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// uploadHead is the upload's fields before the entries, in PROTOCOL.md's
// key order.
type uploadHead struct {
	Product string `json:"product"`
	Group   string `json:"group"`
	Version string `json:"version"`
	HostID  string `json:"host-id"`
	SiteID  string `json:"site-id"`
}

// uploaded says what one upload body covered: the last sequence number of
// each collection (0 for none) and how many entries of each it held.
type uploaded struct {
	lastEvent, lastSn uint64
	events, snapshots int
}

// uploadBuffer is how much of the upload is written to w at once.
const uploadBuffer = 64 << 10

// writeUpload writes the body of a check-in to w:
//
//	{"product":...,"group":...,"version":...,"host-id":...,"site-id":...,
//	 "self-service-analytics":{"events":[...],"snapshots":{...}}}
//
// The events are streamed from the store in arrival order, so the memory
// it takes does not grow with their number; the snapshots are merged first
// (newest value per field), which takes memory for the distinct fields
// only. It is the one builder of the upload: CheckIn posts it, and the
// check-in preview shows it.
func (c *Checker) writeUpload(ctx context.Context, w io.Writer) (uploaded, error) {
	return c.writeUploadThrough(ctx, w, everything)
}

// writeUploadThrough is writeUpload of the entries up to through's
// sequence numbers (uploadRange).
func (c *Checker) writeUploadThrough(ctx context.Context, w io.Writer, through uploaded) (uploaded, error) {
	var up uploaded
	head, err := c.uploadHead()
	if err != nil {
		return up, err
	}
	merged := map[string]json.RawMessage{}
	err = c.store.Scan(ctx, Snapshots, func(seq uint64, data []byte) error {
		if seq > through.lastSn {
			return errUploadEnd
		}
		up.lastSn, up.snapshots = seq, up.snapshots+1
		return mergeSnapshot(merged, seq, data)
	})
	if err != nil && !errors.Is(err, errUploadEnd) {
		return up, err
	}
	snaps, err := jsonbody.Marshal(merged)
	if err != nil {
		return up, fmt.Errorf("encoding the snapshots: %w", err)
	}
	bw := bufio.NewWriterSize(w, uploadBuffer)
	_, _ = bw.Write(head[:len(head)-1]) // without its closing brace
	_, _ = bw.WriteString(`,"self-service-analytics":{"events":[`)
	var writeErr error
	err = c.store.Scan(ctx, Events, func(seq uint64, data []byte) error {
		if seq > through.lastEvent {
			return errUploadEnd
		}
		if up.events > 0 {
			_ = bw.WriteByte(',')
		}
		_, writeErr = bw.Write(data)
		up.lastEvent, up.events = seq, up.events+1
		return writeErr
	})
	if err != nil && !errors.Is(err, errUploadEnd) {
		return up, err
	}
	_, _ = bw.WriteString(`],"snapshots":`)
	_, _ = bw.Write(snaps)
	_, _ = bw.WriteString(`}}`)
	return up, bw.Flush()
}

// uploadHead encodes the upload's leading fields as a JSON object.
func (c *Checker) uploadHead() ([]byte, error) {
	siteID, err := c.siteID()
	if err != nil {
		return nil, err
	}
	ci := c.cfg
	return jsonbody.Marshal(uploadHead{Product: ci.Product, Group: checkInGroup, Version: ci.Version,
		HostID: sha512Hex([]byte(ci.Certname)), SiteID: siteID})
}

// mergeSnapshot overlays one stored snapshot on the merged fields: entries
// come in arrival order, so the newest value of each field wins.
func mergeSnapshot(into map[string]json.RawMessage, seq uint64, data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("stored snapshot %d: %w", seq, err)
	}
	for k, v := range fields {
		into[k] = v
	}
	return nil
}
