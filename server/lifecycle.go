package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/analytics-client/analytics/internal/logthrottle"
)

// ListenAndServe is Listen followed by Serve.
func (s *Server) ListenAndServe(ctx context.Context) error {
	if err := s.Listen(ctx); err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Serve serves on the listeners bound by Listen until ctx ends, Close is
// called or a listener fails. When ctx ends, Serve stops the server as
// Close does, waiting at most Config.ShutdownTimeout for in-flight
// requests. It returns nil after a graceful stop and the first error
// otherwise.
func (s *Server) Serve(ctx context.Context) error {
	s.mu.Lock()
	lns, err := s.startServing()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	errc := make(chan error, len(lns))
	for _, l := range lns {
		go func() {
			defer s.wg.Done()
			errc <- serveOne(l)
		}()
	}
	var first error
	select {
	case <-ctx.Done():
	case <-s.closeDone:
	case first = <-errc:
		lns = lns[1:] // one has returned; count the rest below
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.Close(stopCtx); err != nil && first == nil {
		first = err
	}
	for range lns {
		if err := <-errc; first == nil {
			first = err
		}
	}
	return first
}

// startServing checks that Serve may start; s.mu is held.
func (s *Server) startServing() ([]*listener, error) {
	switch {
	case s.closed:
		return nil, ErrServerClosed
	case s.listeners == nil:
		return nil, errors.New("server: serve: Listen was not called")
	case s.serving:
		return nil, errors.New("server: serve: already serving")
	}
	s.serving = true
	// Added under s.mu, so that a concurrent Close cannot reach wg.Wait
	// before the serving goroutines are counted.
	s.wg.Add(len(s.listeners))
	return s.listeners, nil
}

// serveOne serves one listener; a stop by Close is not an error.
func serveOne(l *listener) error {
	var err error
	if l.secure {
		err = l.srv.ServeTLS(l.ln, "", "")
	} else {
		err = l.srv.Serve(l.ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("server: serving %s: %w", l.ln.Addr(), err)
}

// Close stops the server gracefully: the listeners stop accepting,
// in-flight requests finish (until ctx ends; then their connections are
// closed), the daily check-in stops, and the store is closed. Calling it
// again waits for the first call and returns its result.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		select {
		case <-s.closeDone:
			return s.closeErr
		case <-ctx.Done():
			return fmt.Errorf("server: close: %w", ctx.Err())
		}
	}
	s.closed = true
	lns, serving := s.listeners, s.serving
	s.mu.Unlock()

	err := shutdownAll(ctx, lns, serving)
	s.stop()
	s.wg.Wait()
	if cerr := s.store.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("server: close: %w", cerr)
	}
	s.closeErr = err
	close(s.closeDone)
	return err
}

// shutdownAll stops every listener at once and waits for their in-flight
// requests, forcing connections closed when ctx ends first.
func shutdownAll(ctx context.Context, lns []*listener, serving bool) error {
	if !serving {
		for _, l := range lns {
			_ = l.ln.Close()
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, len(lns))
	for i, l := range lns {
		wg.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.conns.CloseNew()
		}()
		go func() {
			defer wg.Done()
			if err := l.srv.Shutdown(ctx); err != nil {
				_ = l.srv.Close()
				errs[i] = fmt.Errorf("server: graceful stop of %s: %w", l.ln.Addr(), err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// httpErrorLog routes net/http's own messages (TLS handshake failures and
// the like) to the service's logger, at most one line a minute for each
// kind of message: a client with a certificate from another CA that keeps
// retrying is one line a minute with a count of the others, not a line per
// handshake.
func (s *Server) httpErrorLog() *log.Logger {
	return log.New(httpLogWriter{t: s.throttle, tlsFailed: s.suspectCertificates}, "", 0)
}

// httpLogWriter is the writer behind httpErrorLog. A TLS handshake error
// also calls tlsFailed: new certificate files could explain it.
type httpLogWriter struct {
	t         *logthrottle.Logger
	tlsFailed func()
}

// peerAddr finds the client address net/http names in its messages
// ("http: TLS handshake error from 127.0.0.1:50412: ..."), which is left
// out of the throttling key so that each retry counts as the same
// condition.
var peerAddr = regexp.MustCompile(` from (\S+:\d+): `)

func (w httpLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if w.tlsFailed != nil && strings.Contains(msg, "TLS handshake error") {
		w.tlsFailed()
	}
	peer := ""
	if m := peerAddr.FindStringSubmatchIndex(msg); m != nil {
		peer = msg[m[2]:m[3]]
		msg = msg[:m[0]] + ": " + msg[m[1]:]
	}
	w.t.Log(context.Background(), slog.LevelInfo, "http: "+msg, msg, "peer", peer)
	return len(p), nil
}
