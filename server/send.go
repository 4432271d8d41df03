package server

import (
	"encoding/json"
	"net/http"
)

// sendReply is the answer of POST {prefix}/commands/send.
type sendReply struct {
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
	Skipped  string          `json:"skipped,omitempty"`
	Msg      string          `json:"msg,omitempty"`
}

// serveSend checks in now. An upstream failure is answered with 500 and
// status "failure": the protocol's answer, not a fault of the request.
func (s *Server) serveSend(w http.ResponseWriter, r *http.Request) {
	res, err := s.CheckIn(r.Context())
	if err != nil {
		s.log.Warn("check-in failed; entries kept for the next one", "err", err)
		s.writeJSON(w, http.StatusInternalServerError, sendReply{Status: "failure", Msg: err.Error()})
		return
	}
	reply := sendReply{Status: "success", Response: res.Response, Skipped: res.Skipped}
	if reply.Response == nil {
		reply.Response = json.RawMessage(`{}`)
	}
	s.writeJSON(w, http.StatusOK, reply)
}
