package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/store"
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

// outcome is a command's answer as sent: its status and JSON body.
type outcome struct {
	status int
	body   []byte
}

// prepared is a command that passed validation, ready to be committed: its
// collection, its answer, and the store key that remembers the answer
// ("" for none).
type prepared struct {
	kind store.Kind
	answer
	key string
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
	m, aerr := s.readObject(w, r)
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	p, aerr := s.prepare(kind, m, r.Header.Get(IdempotencyHeader))
	if aerr != nil {
		s.writeError(w, aerr)
		return
	}
	o := s.commit(r.Context(), p)
	writeBody(w, o.status, o.body)
}

// prepare checks a command's payload (shape and value model), applies the
// whitelist and builds the answer; key is the client's idempotency key, ""
// for none. Nothing is stored yet: see commit. A payload error is reported
// before a key error, as single commands always have.
func (s *Server) prepare(kind store.Kind, m map[string]any, key string) (prepared, *apiError) {
	a, aerr := s.answerFor(kind, m)
	if aerr != nil {
		return prepared{}, aerr
	}
	if len(key) > MaxIdempotencyKeyLen {
		return prepared{}, &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData,
			Msg: "The idempotency key is longer than " + strconv.Itoa(MaxIdempotencyKeyLen) + " bytes."}
	}
	if key != "" {
		key = kind.String() + ":" + key // a key names one request of one command
	}
	return prepared{kind: kind, answer: a, key: key}, nil
}

// answerFor parses m as the payload of kind and answers it.
func (s *Server) answerFor(kind store.Kind, m map[string]any) (answer, *apiError) {
	var a answer
	var err error
	if kind == store.Events {
		ev, aerr := parseEvent(m)
		if aerr != nil {
			return answer{}, aerr
		}
		a, err = s.eventAnswer(ev)
	} else {
		snap, aerr := parseSnapshot(m)
		if aerr != nil {
			return answer{}, aerr
		}
		a, err = s.snapshotAnswer(snap)
	}
	if err != nil {
		s.log.Error("encoding an answer", "kind", kind.String(), "err", err)
		return answer{}, &apiError{Status: http.StatusInternalServerError, Kind: KindApplicationError, Msg: msgUncaught}
	}
	return a, nil
}

func (s *Server) eventAnswer(ev analytics.Event) (answer, error) {
	if reason := s.currentWhitelist().checkEvent(ev.Name); reason != "" {
		body, err := marshal(rejectedReply{Rejected: map[string]string{ev.Name: reason}})
		return answer{status: http.StatusUnprocessableEntity, body: body}, err
	}
	rec := eventRecord{Event: ev.Name, Metadata: ev.Metadata, Timestamp: s.stamp()}
	body, err := marshal(rec)
	return answer{status: http.StatusOK, body: body, data: body}, err
}

func (s *Server) snapshotAnswer(snap analytics.Snapshot) (answer, error) {
	wl, ts := s.currentWhitelist(), s.stamp()
	reply := snapshotReply{Accepted: make(map[string]stamped, len(snap.Fields)), Rejected: map[string]string{}}
	for k, v := range snap.Fields {
		if reason := wl.checkField(k, v); reason != "" {
			reply.Rejected[k] = reason
			continue
		}
		reply.Accepted[k] = stamped{Value: v, Timestamp: ts}
	}
	a := answer{status: http.StatusOK}
	if len(reply.Rejected) > 0 {
		a.status = http.StatusPartialContent
	}
	var err error
	if a.body, err = marshal(reply); err != nil {
		return a, err
	}
	if len(reply.Accepted) > 0 || len(reply.Rejected) == 0 {
		a.data, err = marshal(reply.Accepted)
	}
	return a, err
}

// stamp is the receive time in the wire format.
func (s *Server) stamp() string {
	return s.cfg.Now().UTC().Format(analytics.TimeFormat)
}

// readObject reads the body within the size limit and parses it as one
// JSON object.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (map[string]any, *apiError) {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + 1)
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, tooLarge(limit)
	case err != nil && !errors.Is(err, io.EOF):
		return nil, &apiError{Status: http.StatusBadRequest, Kind: KindInvalidData, Msg: "Failed to read the body: " + err.Error()}
	}
	return decodeObject(buf.Bytes())
}

func tooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Kind: KindTooLarge,
		Msg: "The body is larger than the limit of " + formatBytes(limit) + "."}
}
