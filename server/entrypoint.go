package server

import (
	"net/http"

	"github.com/analytics-client/analytics/server/internal/entrypoint"
)

func (s *Server) serveEntrypoint(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, http.StatusOK, entrypoint.Document(entrypoint.BaseURL(r, s.cfg.PublicURL, s.cfg.Prefix), s.cfg.Version))
}
