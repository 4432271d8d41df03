package server

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// KindTimeout is the error kind of a 408: the body did not arrive within
// Config.BodyTimeout.
const KindTimeout = "request-timeout"

// firstBodyBuf is the buffer a body is first read into. It grows by
// doubling as bytes arrive, so memory follows what a client has sent, never
// what its Content-Length declares.
const firstBodyBuf = 1 << 10

// readObject reads the body (see readBody) and parses it as one JSON
// object. release gives the body's share of the in-flight budget back; it
// is never nil and is called once the command is answered, since the
// parsed object lives until then.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (m map[string]any, release func(), aerr *apiError) {
	body, held, aerr := s.readBody(w, r)
	release = func() { s.giveBody(r, held) }
	if aerr != nil {
		return nil, release, aerr
	}
	extra, aerr := s.chargeDecoding(w, r, body, held)
	if aerr != nil {
		return nil, release, aerr
	}
	release = func() { s.giveBody(r, held+extra) }
	m, aerr = decodeObject(body)
	return m, release, aerr
}

// readBody reads r's body within Config.MaxBodyBytes and
// Config.BodyTimeout, into a buffer whose every byte is taken from the
// in-flight budget first; held is the number taken, to give back even on
// error. A declared Content-Length over the limit is refused before
// reading; otherwise it is not trusted.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, held int64, aerr *apiError) {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, 0, tooLarge(limit)
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	var buf []byte
	var one [1]byte // where the end is read when buf holds limit bytes
	for {
		if len(buf) == cap(buf) && int64(len(buf)) < limit {
			grown := min(max(2*cap(buf), firstBodyBuf), int(limit))
			if aerr := s.takeBody(w, r, int64(grown-cap(buf)), held); aerr != nil {
				return nil, held, aerr
			}
			held += int64(grown - cap(buf))
			buf = append(make([]byte, 0, grown), buf...)
		}
		free := buf[len(buf):cap(buf)]
		if len(free) == 0 {
			free = one[:] // rd yields nothing past limit: only EOF or a 413
		}
		n, err := rd.Read(free)
		buf = buf[:len(buf)+min(n, cap(buf)-len(buf))]
		switch {
		case errors.Is(err, io.EOF):
			bodyRead(w)
			return buf, held, nil
		case err != nil:
			return nil, held, s.bodyError(err, limit)
		}
	}
}

// bodyDeadline bounds the arrival of every request body by
// Config.BodyTimeout from the moment the request is handed over, so that
// a client trickling a body holds its connection for that long at most,
// not Config.ReadTimeout. It covers bodies no handler reads too (a refused
// or unknown request): net/http reads the rest of a small unread body
// before it sends the answer.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			// Best effort: every writer of net/http takes a deadline.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// bodyRead lifts the body deadline once the whole body has arrived: on
// HTTP/1.1 the connection's next read is net/http's watch for the client
// going away, which must not end the request when the deadline passes
// during a long commit.
func bodyRead(w http.ResponseWriter) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
}

// bodyError is the answer to a body that failed to arrive.
func (s *Server) bodyError(err error, limit int64) *apiError {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
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
