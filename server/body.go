package server

import (
	"errors"
	"net/http"
	"os"

	"github.com/analytics-client/analytics/server/limits"
)

// KindTimeout is the error kind of a 408: the body did not arrive within
// Config.BodyTimeout.
const KindTimeout = "request-timeout"

// readObject reads the body (see readBody) and parses it as one JSON
// object. release gives the body's share of the in-flight budget back; it
// is never nil and is called once the command is answered, since the
// parsed object lives until then.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (m map[string]any, release func(), aerr *apiError) {
	body, held, aerr := s.readBody(w, r)
	release = func() { s.inflight.Give(held) }
	if aerr != nil {
		return nil, release, aerr
	}
	m, aerr = decodeObject(body)
	return m, release, aerr
}

// readBody reads r's body within Config.MaxBodyBytes and
// Config.BodyTimeout, each byte taken from the in-flight budget first (see
// limits.ReadBody); held is the number taken, to give back even on error.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, aerr *apiError) {
	body, held, err := limits.ReadBody(w, r, s.cfg.MaxBodyBytes, s.inflight)
	switch {
	case err == nil:
		return body, held, nil
	case errors.Is(err, limits.ErrBusy):
		return nil, held, s.refuseBusy(w, r)
	}
	return nil, held, s.bodyError(err, s.cfg.MaxBodyBytes)
}

// bodyError is the answer to a body that failed to arrive.
func (s *Server) bodyError(err error, limit int64) *apiError {
	switch {
	case errors.Is(err, limits.ErrTooLarge):
		return tooLarge(limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{Status: http.StatusRequestTimeout, Kind: KindTimeout,
			Msg: "The body did not arrive within " + s.cfg.BodyTimeout.String() + "."}
	}
	return &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData, Msg: "Failed to read the body.", Cause: err}
}

func tooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Kind: KindTooLarge,
		Msg: "The body is larger than the limit of " + formatBytes(limit) + "."}
}
