package server

import (
	"encoding/json"
	"errors"
	"net/http"
)

// sendReply is the answer of POST {prefix}/commands/send.
type sendReply struct {
	Status    string          `json:"status"`
	Response  json.RawMessage `json:"response,omitempty"`
	Skipped   string          `json:"skipped,omitempty"`
	Msg       string          `json:"msg,omitempty"`
	RequestID string          `json:"request-id,omitempty"`
}

// serveSend checks in now. An upstream failure is answered with 500 and
// status "failure": the protocol's answer, not a fault of the request.
func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	res, err := s.CheckIn(r.Context())
	if err != nil {
		id := requestID(w)
		s.log.Warn("check-in failed; entries kept for the next one", "request-id", id, "err", err)
		s.writeJSON(w, http.StatusInternalServerError, sendReply{Status: "failure", Msg: checkInFailure(err), RequestID: id})
		return
	}
	reply := sendReply{Status: "success", Response: res.Response, Skipped: res.Skipped}
	if reply.Response == nil {
		reply.Response = json.RawMessage(`{}`)
	}
	s.writeJSON(w, http.StatusOK, reply)
}

// checkInFailure says why a check-in failed in the words of a
// *CheckInError (the update server's URL and a short reason, never the
// underlying Go error), or in general terms.
func checkInFailure(err error) string {
	var ce *CheckInError
	if errors.As(err, &ce) {
		return ce.Error()
	}
	return "The check-in failed. Check the log for details."
}
