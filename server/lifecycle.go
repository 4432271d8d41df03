package server

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"sync"

	"github.com/analytics-client/analytics/server/opsview"
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
	s.shares.Close()
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

// httpErrorLog routes net/http's own messages to the service's logger,
// throttled by kind (opsview.HTTPErrorLog); a TLS handshake failure brings
// the next look at the certificate files forward.
func (s *Server) httpErrorLog() *log.Logger {
	return opsview.HTTPErrorLog(s.throttle, s.suspectCertificates)
}
