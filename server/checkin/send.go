package checkin

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// sendReply is the answer of POST {prefix}/commands/send.
type sendReply struct {
	Status    string          `json:"status"`
	Response  json.RawMessage `json:"response,omitempty"`
	Skipped   string          `json:"skipped,omitempty"`
	Msg       string          `json:"msg,omitempty"`
	RequestID string          `json:"request-id,omitempty"`
}

// ServeSend answers POST {prefix}/commands/send: it checks in now. An
// upstream failure is answered with 500 and status "failure": the
// protocol's answer, not a fault of the request. requestID is the
// request's id, which the failure's body and log line carry.
func (c *Checker) ServeSend(w http.ResponseWriter, r *http.Request, requestID string) {
	res, err := c.CheckIn(r.Context())
	if err != nil {
		c.cfg.Logger.Warn("check-in failed; entries kept for the next one", "request-id", requestID, "err", err)
		writeJSON(w, http.StatusInternalServerError, sendReply{Status: "failure", Msg: checkInFailure(err), RequestID: requestID})
		return
	}
	reply := sendReply{Status: "success", Response: res.Response, Skipped: res.Skipped}
	if reply.Response == nil {
		reply.Response = json.RawMessage(`{}`)
	}
	writeJSON(w, http.StatusOK, reply)
}

// writeJSON encodes v and sends it. A reply that cannot be encoded panics,
// for the caller's recovery to answer (the core's answers 500 in its JSON
// error shape).
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := jsonbody.Marshal(v)
	if err != nil {
		panic(err)
	}
	jsonbody.Write(w, status, body)
}

// checkInFailure says why a check-in failed in the words of a
// *Error (the update server's URL and a short reason, never the
// underlying Go error), or in general terms.
func checkInFailure(err error) string {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Error()
	}
	return "The check-in failed. Check the log for details."
}
