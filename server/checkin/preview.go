package checkin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// Preview is what the next check-in would send now, the document of
// GET {prefix}/checkin/preview.
type Preview struct {
	// Mode is the check-in mode (ModeOn, ModeOptedOut, ...).
	Mode string `json:"mode"`
	// Reason says why nothing would be sent; empty in mode on.
	Reason string `json:"reason,omitempty"`
	// Upload is the exact body the check-in would POST, or JSON null when
	// nothing would be sent.
	Upload json.RawMessage `json:"upload"`
}

// Preview builds the body the next check-in would upload now, with the
// code that builds the real upload, without sending or discarding
// anything. In a mode other than on, Upload is null and Reason says why.
// The upload is held in memory whole; GET {prefix}/checkin/preview streams
// it instead.
func (c *Checker) Preview(ctx context.Context) (Preview, error) {
	mode, reason := c.Mode()
	if mode != ModeOn {
		return Preview{Mode: mode, Reason: reason, Upload: json.RawMessage("null")}, nil
	}
	body, err := c.uploadBody(ctx)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Mode: mode, Upload: body}, nil
}

// uploadBody is the body a check-in posts, written by the function
// CheckIn streams it with.
func (c *Checker) uploadBody(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := c.writeUpload(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ServePreview answers GET {prefix}/checkin/preview. In mode on the
// upload is streamed from the store as the check-in streams it, so a large
// store is not held in memory; still, each preview reads the whole store,
// so at most previewSlots run at once and the others wait their turn (or
// until their client goes away).
//
// A Preview that cannot be encoded panics, for the caller's recovery to
// answer (the core's answers 500 in its JSON error shape).
func (c *Checker) ServePreview(w http.ResponseWriter, r *http.Request) {
	mode, reason := c.Mode()
	if mode != ModeOn {
		writeJSON(w, http.StatusOK, Preview{Mode: mode, Reason: reason, Upload: json.RawMessage("null")})
		return
	}
	if !c.takePreviewSlot(r.Context()) {
		return
	}
	defer c.releasePreviewSlot()
	w.Header().Set("Content-Type", jsonbody.ContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"mode":"on","upload":`)
	if _, err := c.writeUpload(r.Context(), w); err != nil {
		if r.Context().Err() == nil {
			c.cfg.Throttle.Log(r.Context(), slog.LevelError, "preview", "streaming the check-in preview", "err", err)
		}
		// The status is sent: cut the response short so that the client
		// sees a broken transfer, never a complete-looking document.
		panic(http.ErrAbortHandler)
	}
	_, _ = io.WriteString(w, "}")
}

// WritePreview writes the upload the next check-in would send now to w,
// waiting for a preview slot first (at most two previews are built at
// once); it returns ctx's error when ctx ends before a slot is free. w may
// refuse the rest of the upload by returning an error: the upload stops
// there and WritePreview returns that error.
func (c *Checker) WritePreview(ctx context.Context, w io.Writer) error {
	if !c.takePreviewSlot(ctx) {
		return ctx.Err()
	}
	defer c.releasePreviewSlot()
	_, err := c.writeUpload(ctx, w)
	return err
}

// takePreviewSlot waits for a preview slot; false when ctx ended first.
func (c *Checker) takePreviewSlot(ctx context.Context) bool {
	select {
	case c.previewSlots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Checker) releasePreviewSlot() { <-c.previewSlots }
