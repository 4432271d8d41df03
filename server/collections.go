package server

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// serveCollection streams the stored entries of kind as one JSON array, in
// arrival order, page by page from the store: the collection is never held
// in memory whole. The status is sent with the first entry, so a store
// that fails at once gets the 503 error shape; once the status is sent, a
// failure aborts the response, so the client sees a broken transfer rather
// than a complete-looking array.
func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, kind store.Kind) {
	bw := bufio.NewWriterSize(w, 32<<10)
	sep := byte('[')
	var writeErr error
	err := s.store.Scan(r.Context(), kind, 0, func(e store.Entry) error {
		if sep == '[' {
			w.Header().Set("Content-Type", jsonbody.ContentType)
			w.WriteHeader(http.StatusOK)
		}
		_ = bw.WriteByte(sep)
		sep = ','
		_, writeErr = bw.Write(e.Data)
		return writeErr
	})
	switch {
	case err != nil && sep == '[':
		s.writeError(w, s.storeReadFailed(kind, err))
		return
	case err != nil:
		if writeErr == nil && !errors.Is(err, r.Context().Err()) {
			s.storeLog.Log(r.Context(), slog.LevelError, "collection:"+kind.Collection(), "streaming a collection failed; response aborted", "kind", kind.Collection(), "err", err)
		}
		panic(http.ErrAbortHandler)
	case sep == '[':
		jsonbody.Write(w, http.StatusOK, []byte("[]"))
		return
	}
	_ = bw.WriteByte(']')
	if err := bw.Flush(); err != nil {
		s.log.Debug("client went away during a collection", "kind", kind.Collection(), "err", fmt.Sprint(err))
	}
}
