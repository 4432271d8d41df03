package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
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

// servePreview answers GET {prefix}/checkin/preview. Building a preview
// reads the whole store, so at most previewSlots run at once; the others
// wait their turn (or until their client goes away).
func (s *Server) servePreview(w http.ResponseWriter, r *http.Request) {
	select {
	case s.ops.previewSlots <- struct{}{}:
		defer func() { <-s.ops.previewSlots }()
	case <-r.Context().Done():
		return
	}
	p, err := s.Preview(r.Context())
	if err != nil {
		s.log.Error("building the check-in preview", "err", err)
		s.writeError(w, storeReadError())
		return
	}
	s.writeJSON(w, http.StatusOK, p)
}
