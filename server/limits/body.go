package limits

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Reasons ReadBody gives up. A body that did not arrive in time has
// os.ErrDeadlineExceeded in its error's chain (see BodyDeadline).
var (
	// ErrTooLarge: the body is, or says it is, larger than the limit.
	ErrTooLarge = errors.New("limits: body larger than the limit")
	// ErrBusy: the Budget has no room for the next part of the body.
	ErrBusy = errors.New("limits: request bodies in flight at the limit")
)

// firstBodyBuf is the buffer a body is first read into. It grows by
// doubling as bytes arrive, so memory follows what a client has sent, never
// what its Content-Length declares.
const firstBodyBuf = 1 << 10

// ReadBody reads r's body, at most limit bytes, into a buffer whose every
// byte is taken from budget first; held is the number taken, which the
// caller gives back once it no longer needs the body, even on error. A
// declared Content-Length over the limit is refused before reading;
// otherwise it is not trusted. Once the whole body has arrived, the read
// deadline BodyDeadline set is lifted. The error is ErrTooLarge, ErrBusy,
// or the read's own error (wrapping os.ErrDeadlineExceeded when the body
// was too slow).
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, budget *Budget) (body []byte, held int64, err error) {
	if r.ContentLength > limit {
		return nil, 0, ErrTooLarge
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	var buf []byte
	var one [1]byte // where the end is read when buf holds limit bytes
	for {
		if len(buf) == cap(buf) && int64(len(buf)) < limit {
			grown := min(max(2*cap(buf), firstBodyBuf), int(limit))
			if !budget.Take(int64(grown - cap(buf))) {
				return nil, held, ErrBusy
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
		var mbe *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF):
			bodyRead(w)
			return buf, held, nil
		case errors.As(err, &mbe):
			return nil, held, fmt.Errorf("%w: %w", ErrTooLarge, err)
		case err != nil:
			return nil, held, err
		}
	}
}

// BodyDeadline bounds the arrival of every request body by timeout from
// the moment the request is handed over, so that a client trickling a body
// holds its connection for that long at most, not the server's
// ReadTimeout. It covers bodies no handler reads too (a refused or unknown
// request): net/http reads the rest of a small unread body before it sends
// the answer.
func BodyDeadline(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 {
			// Best effort: every writer of net/http takes a deadline.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
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
