package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

func tryCommand() command {
	return command{
		name:    "try",
		args:    "[flags]",
		summary: "Report an example snapshot and event to a throwaway development service over mutual TLS, show what it stored, clean up",
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
	// The service's log lines and ours share stderr.
	stderr := &syncWriter{w: c.stderr}
	log := newLogger(stderr, o.verbose)
	svc, err := startTryService(ctx, dir, stderr, log, o.verbose)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, svc.stop()) }()
	out := c.stdout
	if o.quiet {
		out = io.Discard
	}
	return svc.exercise(ctx, out, log)
}

// newLogger logs warnings to w, or informational lines too when verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// exercise reports the examples through the client and prints the answers
// and the collections.
func (s *tryService) exercise(ctx context.Context, out io.Writer, log *slog.Logger) error {
	cfg := s.client
	cfg.Logger = log
	client, err := analytics.New(cfg)
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintf(out, "# service on %s (mutual TLS, throwaway CA)\n", cfg.URL)
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
	ssl := s.client.SSL
	certs, err := tlsfiles.New(tlsfiles.Files{CertFile: ssl.CertFile, KeyFile: ssl.KeyFile, CAFile: ssl.CAFile}, tlsfiles.Options{})
	if err != nil {
		return fmt.Errorf("analytics try: %w", err)
	}
	tr := &http.Transport{DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return certs.DialTLS(ctx, (&net.Dialer{}).DialContext, network, addr)
	}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: analytics.DefaultTimeout}
	for _, name := range []string{"snapshots", "events"} {
		u := s.client.URL + "/collections/" + name
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
