package server

import (
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/value"
	"github.com/analytics-client/analytics/server/internal/jsonbody"
)

// eventRecord is an accepted event as answered and stored. omitzero drops a
// missing metadata but keeps an empty one.
type eventRecord struct {
	Event     string         `json:"event"`
	Metadata  map[string]any `json:"metadata,omitzero"`
	Timestamp string         `json:"timestamp"`
}

// stamped is a snapshot field with its receive time.
type stamped struct {
	Value     any    `json:"value"`
	Timestamp string `json:"timestamp"`
}

// snapshotReply answers a snapshot: what was stored and what was refused.
type snapshotReply struct {
	Accepted map[string]stamped `json:"accepted"`
	Rejected map[string]string  `json:"rejected"`
}

// rejectedReply answers an event the whitelist refused.
type rejectedReply struct {
	Rejected map[string]string `json:"rejected"`
}

// answer is a command's outcome before it is stored and sent.
type answer struct {
	status int
	body   []byte
	data   []byte // the entry to store; nil stores nothing
}

// outcome is a command's answer as sent: its status and JSON body, and
// the seconds of a Retry-After header (0: none).
type outcome struct {
	status     int
	body       []byte
	retryAfter int
	err        *apiError // the error the body encodes, if it is one
}

// command is a parsed command payload: an event or a snapshot.
type command struct {
	kind store.Kind
	ev   event
	snap map[string]any // a snapshot's fields
}

// prepared is a command that passed validation, ready to be committed: its
// payload, its verdict and answer, and its idempotency key ("" for none)
// with the sum of its payload.
type prepared struct {
	command
	verdict
	answer
	key string
	sum []byte
}

func (s *Server) serveEvent(w http.ResponseWriter, r *http.Request) {
	s.serveCommand(w, r, store.Events)
}

func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request) {
	s.serveCommand(w, r, store.Snapshots)
}

// serveCommand reads one command's body, then prepares and commits it as
// every command is, one alone or many in a batch.
func (s *Server) serveCommand(w http.ResponseWriter, r *http.Request, kind store.Kind) {
	m, release, aerr := s.readObject(w, r)
	defer release()
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	p, aerr := s.prepare(kind, m, r.Header.Get(IdempotencyHeader))
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	writeOutcome(w, s.commit(r.Context(), []prepared{p})[0])
}

// prepare checks a command's payload (shape and value model), applies the
// whitelist and builds the answer; key is the client's idempotency key, ""
// for none. Nothing is stored yet: see commit. A payload error is reported
// before a key error, as single commands always have.
func (s *Server) prepare(kind store.Kind, m map[string]any, key string) (prepared, *apiError) {
	c, aerr := parseCommand(kind, m)
	if aerr != nil {
		return prepared{}, aerr
	}
	if len(key) > MaxIdempotencyKeyLen {
		return prepared{}, &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData,
			Msg: "The idempotency key is longer than " + strconv.Itoa(MaxIdempotencyKeyLen) + " bytes."}
	}
	p := prepared{command: c, verdict: s.judge(c)}
	if key != "" {
		p.key = kind.Collection() + ":" + key // a key names one request of one command
		var err error
		if p.sum, err = requestSum(m); err != nil {
			return prepared{}, s.encodingFailed(kind, err)
		}
	}
	var err error
	if p.answer, err = p.build(p.verdict); err != nil {
		return prepared{}, s.encodingFailed(kind, err)
	}
	return p, nil
}

func (s *Server) encodingFailed(kind store.Kind, err error) *apiError {
	s.log.Error("encoding an answer", "kind", kind.Collection(), "err", err)
	return &apiError{Status: http.StatusInternalServerError, Kind: KindApplicationError, Msg: msgUncaught}
}

// parseCommand parses m as the payload of kind.
func parseCommand(kind store.Kind, m map[string]any) (command, *apiError) {
	c := command{kind: kind}
	var aerr *apiError
	if kind == store.Events {
		c.ev, aerr = parseEvent(m)
	} else {
		c.snap, aerr = parseSnapshot(m)
	}
	return c, aerr
}

// judge applies the current whitelist to c and stamps it with the receive
// time.
func (s *Server) judge(c command) verdict {
	wl := s.whitelist.Current()
	v := verdict{stamp: s.stamp()}
	if c.kind == store.Events {
		if reason := wl.CheckEvent(c.ev.name); reason != "" {
			v.rejected = map[string]string{c.ev.name: reason}
		}
		return v
	}
	for k, val := range c.snap {
		if reason := wl.CheckField(k, val); reason != "" {
			if v.rejected == nil {
				v.rejected = map[string]string{}
			}
			v.rejected[k] = reason
		}
	}
	return v
}

// build is c's answer under verdict v: the same payload and verdict always
// build the same answer, which is how a repeated request is answered.
func (c command) build(v verdict) (answer, error) {
	if c.kind == store.Events {
		return eventAnswer(c.ev, v)
	}
	return snapshotAnswer(c.snap, v)
}

func eventAnswer(ev event, v verdict) (answer, error) {
	if len(v.rejected) > 0 {
		body, err := jsonbody.Marshal(rejectedReply{Rejected: v.rejected})
		return answer{status: http.StatusUnprocessableEntity, body: body}, err
	}
	rec := eventRecord{Event: ev.name, Metadata: ev.metadata, Timestamp: v.stamp}
	body, err := jsonbody.Marshal(rec)
	return answer{status: http.StatusOK, body: body, data: body}, err
}

func snapshotAnswer(fields map[string]any, v verdict) (answer, error) {
	reply := snapshotReply{Accepted: make(map[string]stamped, len(fields)), Rejected: map[string]string{}}
	for k, val := range fields {
		if reason, ok := v.rejected[k]; ok {
			reply.Rejected[k] = reason
			continue
		}
		reply.Accepted[k] = stamped{Value: val, Timestamp: v.stamp}
	}
	a := answer{status: http.StatusOK}
	if len(reply.Rejected) > 0 {
		a.status = http.StatusPartialContent
	}
	var err error
	if a.body, err = jsonbody.Marshal(reply); err != nil {
		return a, err
	}
	if len(reply.Accepted) > 0 || len(reply.Rejected) == 0 {
		a.data, err = jsonbody.Marshal(reply.Accepted)
	}
	return a, err
}

// stamp is the receive time in the wire format.
func (s *Server) stamp() string {
	return s.cfg.Now().UTC().Format(value.TimeFormat)
}
