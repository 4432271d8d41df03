package server

import (
	"errors"
	"net/http"
	"os"
	"strconv"

	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/limits"
	"github.com/analytics-client/analytics/wire"
)

// readObject reads r's body within Config.MaxBodyBytes and
// Config.BodyTimeout, each byte taken from the client's share of the
// in-flight budget first (see limits.ReadBody), then what decoding it
// will cost (limits.ReserveDecoding; a body of more than Config.MaxFields
// values gets 413), and parses it as one JSON object. release gives all
// that back; it is never nil and is called once the command is answered,
// since the parsed object lives until then.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (m map[string]any, release func(), aerr *apiError) {
	share := s.shares.For(authz.Identify(r).Key())
	body, held, err := limits.ReadBody(w, r, s.cfg.MaxBodyBytes, share)
	release = func() { share.Give(held) }
	if err != nil {
		return nil, release, s.bodyError(w, r, share, err, 0)
	}
	extra, values, err := limits.ReserveDecoding(share, body, held, s.cfg.MaxFields, s.cfg.MaxInflightBytes)
	if err != nil {
		return nil, release, s.bodyError(w, r, share, err, values)
	}
	release = func() { share.Give(held + extra) }
	m, aerr = decodeObject(body)
	return m, release, aerr
}

// bodyError is the answer to a body that failed to arrive, found no room
// in the in-flight budget or the client's share of it, or holds too many
// values.
func (s *Server) bodyError(w http.ResponseWriter, r *http.Request, share limits.Share, err error, values int) *apiError {
	switch {
	case errors.Is(err, limits.ErrTooManyValues):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Kind: wire.ErrorTooManyFields,
			Msg: "The body holds " + strconv.Itoa(values) + " JSON values, more than the limit of " +
				strconv.Itoa(s.cfg.MaxFields) + " (analytics.max-fields)."}
	case errors.Is(err, limits.ErrBusy):
		return s.refuseBusy(w, r, "")
	case errors.Is(err, limits.ErrShare):
		return s.refuseBusy(w, r, formatBytes(share.Limit()))
	case errors.Is(err, limits.ErrTooLarge):
		return tooLarge(s.cfg.MaxBodyBytes)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return &apiError{Status: http.StatusRequestTimeout, Kind: wire.ErrorTimeout,
			Msg: "The body did not arrive within " + s.cfg.BodyTimeout.String() + "."}
	}
	return &apiError{Status: http.StatusBadRequest, Kind: wire.ErrorInvalidData, Msg: "Failed to read the body.", Cause: err}
}

func tooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Kind: wire.ErrorTooLarge,
		Msg: "The body is larger than the limit of " + formatBytes(limit) + "."}
}
