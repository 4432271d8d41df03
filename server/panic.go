package server

import "net/http"

// headerWriter records whether the status has been sent, so that a panic
// after it is not answered with a second status line appended to the body.
type headerWriter struct {
	http.ResponseWriter
	sent bool
}

func (w *headerWriter) WriteHeader(status int) {
	if status >= 200 { // 1xx are informational; the final status follows
		w.sent = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *headerWriter) Write(b []byte) (int, error) {
	w.sent = true
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *headerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
