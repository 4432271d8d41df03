package server

import (
	"bufio"
	"fmt"
	"net/http"

	"github.com/analytics-client/analytics/internal/store"
)

// serveCollection streams the stored entries of kind as one JSON array, in
// arrival order, page by page from the store: the collection is never held
// in memory whole.
func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, kind store.Kind) {
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	sep := byte('[')
	var writeErr error
	err := s.store.Scan(r.Context(), kind, 0, func(e store.Entry) error {
		_ = bw.WriteByte(sep)
		sep = ','
		_, writeErr = bw.Write(e.Data)
		return writeErr
	})
	if err != nil {
		// The status is sent already: cut the response short so that the
		// client sees a truncated array rather than a complete-looking one.
		if writeErr == nil {
			s.log.Error("streaming a collection", "kind", kind.String(), "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	if sep == '[' {
		_ = bw.WriteByte('[')
	}
	_ = bw.WriteByte(']')
	if err := bw.Flush(); err != nil {
		s.log.Debug("client went away during a collection", "kind", kind.String(), "err", fmt.Sprint(err))
	}
}
