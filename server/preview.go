package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
func (s *Server) Preview(ctx context.Context) (Preview, error) {
	mode, reason := s.checkInMode()
	if mode != ModeOn {
		return Preview{Mode: mode, Reason: reason, Upload: json.RawMessage("null")}, nil
	}
	body, err := s.uploadBody(ctx)
	if err != nil {
		return Preview{}, err
	}
	return Preview{Mode: mode, Upload: body}, nil
}

// uploadBody is the body a check-in posts, written by the function
// CheckIn streams it with.
func (s *Server) uploadBody(ctx context.Context) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := s.writeUpload(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// servePreview answers GET {prefix}/checkin/preview. In mode on the
// upload is streamed from the store as the check-in streams it, so a large
// store is not held in memory; still, each preview reads the whole store,
// so at most previewSlots run at once and the others wait their turn (or
// until their client goes away).
func (s *Server) servePreview(w http.ResponseWriter, r *http.Request) {
	mode, reason := s.checkInMode()
	if mode != ModeOn {
		s.writeJSON(w, http.StatusOK, Preview{Mode: mode, Reason: reason, Upload: json.RawMessage("null")})
		return
	}
	if !s.takePreviewSlot(r.Context()) {
		return
	}
	defer s.releasePreviewSlot()
	w.Header().Set("Content-Type", jsonbody.ContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"mode":"on","upload":`)
	if _, err := s.writeUpload(r.Context(), w); err != nil {
		if r.Context().Err() == nil {
			s.ops.throttle.Log(r.Context(), slog.LevelError, "preview", "streaming the check-in preview", "err", err)
		}
		// The status is sent: cut the response short so that the client
		// sees a broken transfer, never a complete-looking document.
		panic(http.ErrAbortHandler)
	}
	_, _ = io.WriteString(w, "}")
}

// takePreviewSlot waits for a preview slot; false when ctx ended first.
func (s *Server) takePreviewSlot(ctx context.Context) bool {
	select {
	case s.ops.previewSlots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) releasePreviewSlot() { <-s.ops.previewSlots }

// errPreviewCut ends an upload written for the page past maxViewPreview.
var errPreviewCut = errors.New("preview cut for the page")

// cappedWriter keeps at most max bytes and then refuses more.
type cappedWriter struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if len(p) > room {
		c.buf.Write(p[:max(room, 0)])
		c.cut = true
		return max(room, 0), errPreviewCut
	}
	return c.buf.Write(p)
}
