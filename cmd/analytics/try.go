package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// stopTimeout bounds the graceful stop of the try command's service.
const stopTimeout = 10 * time.Second

func tryCommand() command {
	return command{
		name:    "try",
		args:    "[flags]",
		summary: "Report an example snapshot and event to a throwaway in-process service over mutual TLS, show what it stored, clean up",
		example: "  analytics try",
		run:     (*cli).try,
	}
}

// trySnapshot and tryEvent are the JVM library's documented examples.
func trySnapshot() analytics.Snapshot {
	return analytics.Snapshot{Fields: analytics.Fields{
		"puppetserver.metric1": "value",
		"puppetserver.metric2": 1337,
		"puppetserver.metric3": []string{"123", "456"},
		"puppetserver.metric4": map[string]string{"something": "extra"},
	}}
}

func tryEvent() analytics.Event {
	return analytics.Event{Name: "puppetserver.some-event", Metadata: analytics.Fields{
		"property1": "value",
		"property2": 1337,
		"property3": []string{"123", "456"},
		"property4": map[string]string{"some": "value"},
	}}
}

func (c *cli) try(ctx context.Context, args []string) (err error) {
	var o opts
	cmd := tryCommand()
	pos, err := c.parse(cmd, newFlagSet(cmd, &o, false), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("analytics try: unexpected argument %q", pos[0])
	}
	dir, err := os.MkdirTemp("", "analytics-try-")
	if err != nil {
		return fmt.Errorf("analytics try: temporary directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil {
			err = errors.Join(err, fmt.Errorf("analytics try: remove %s: %w", dir, rerr))
		}
	}()
	svc, err := startTryService(ctx, dir, c.logger(&o))
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, svc.stop(ctx)) }()
	out := c.stdout
	if o.quiet {
		out = io.Discard
	}
	return svc.exercise(ctx, out, c.logger(&o))
}

// logger logs warnings on stderr, or informational lines too with --verbose.
func (c *cli) logger(o *opts) *slog.Logger {
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
}

// tryService is the in-process service of the try command.
type tryService struct {
	srv    *server.Server
	bundle *pki.Bundle
	served chan error
}

// startTryService creates a throwaway CA in dir and serves the analytics
// service on a free port of 127.0.0.1, requiring client certificates.
func startTryService(ctx context.Context, dir string, log *slog.Logger) (*tryService, error) {
	b, err := pki.Generate(filepath.Join(dir, "pki"))
	if err != nil {
		return nil, fmt.Errorf("analytics try: certificates: %w", err)
	}
	srv, err := server.New(server.Config{
		DataDir:   filepath.Join(dir, "data"),
		HTTPSAddr: "127.0.0.1:0",
		TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert,
			ClientAuth: server.ClientAuthNeed},
		CheckIn: server.CheckInConfig{Interval: -1}, // no upstream to check in with
		// The generated client certificate also reads the collections.
		Authorization: server.DefaultRules(server.DefaultPrefix, pki.ServerCommonName, pki.ClientCommonName),
		Logger:        log,
	})
	if err != nil {
		return nil, fmt.Errorf("analytics try: %w", err)
	}
	if err := srv.Listen(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("analytics try: %w", err), srv.Close(context.WithoutCancel(ctx)))
	}
	s := &tryService{srv: srv, bundle: b, served: make(chan error, 1)}
	go func() { s.served <- srv.Serve(ctx) }()
	return s, nil
}

// stop stops the service and waits for Serve to return.
func (s *tryService) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	err := s.srv.Close(ctx)
	if serr := <-s.served; serr != nil && !errors.Is(serr, server.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("analytics try: stop the service: %w", err)
	}
	return nil
}

// exercise reports the examples through the client and prints the answers
// and the collections.
func (s *tryService) exercise(ctx context.Context, out io.Writer, log *slog.Logger) error {
	client, err := analytics.New(analytics.Config{URL: s.srv.URL(), Logger: log,
		SSL: &analytics.SSLOpts{CertFile: s.bundle.ClientCert, KeyFile: s.bundle.ClientKey, CAFile: s.bundle.CACert}})
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintf(out, "# service on %s (mutual TLS, throwaway CA)\n", s.srv.URL())
	snap, err := client.StoreSnapshot(ctx, trySnapshot())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# snapshot stored (%d)\n", snap.StatusCode)
	printJSON(out, snap.Raw)
	ev, err := client.StoreEvent(ctx, tryEvent())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "# event stored")
	printJSON(out, ev.Raw)
	return s.printCollections(ctx, out)
}

// printCollections GETs the stored snapshots and events with the client
// certificate.
func (s *tryService) printCollections(ctx context.Context, out io.Writer) error {
	tc, err := s.bundle.ClientTLSConfig()
	if err != nil {
		return fmt.Errorf("analytics try: %w", err)
	}
	tr := &http.Transport{TLSClientConfig: tc}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: analytics.DefaultTimeout}
	for _, name := range []string{"snapshots", "events"} {
		u := s.srv.URL() + "/collections/" + name
		raw, err := get(ctx, hc, u)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "# GET %s\n", u)
		printJSON(out, raw)
	}
	return nil
}

// get fetches u and returns its JSON body.
func get(ctx context.Context, hc *http.Client, u string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("analytics try: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("analytics try: GET %s: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("analytics try: GET %s answered %s", u, resp.Status)
	}
	return raw, nil
}
