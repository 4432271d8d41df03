package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/bytesize"
	"github.com/analytics-client/analytics/wire"
)

func statusCommand() command {
	return command{
		name:    "status",
		args:    "[--json] [flags]",
		reads:   true,
		summary: "Show whether data leaves the site, the last and next check-in, the whitelist and what is stored (operators)",
		example: "  analytics status --config /etc/puppetlabs/puppetserver/conf.d\n" +
			"  analytics status --json",
		run: (*cli).status,
	}
}

func previewCommand() command {
	return command{
		name:    "preview",
		args:    "[flags]",
		reads:   true,
		summary: "Print what the service's next check-in would upload (operators)",
		example: "  analytics preview --config /etc/puppetlabs/puppetserver/conf.d",
		run:     (*cli).preview,
	}
}

func (c *cli) status(ctx context.Context, args []string) error {
	var o opts
	var asJSON bool
	cmd := statusCommand()
	fs := newFlagSet(cmd, &o, true)
	fs.BoolVar(&asJSON, "json", false, "print the status document as JSON instead of a summary")
	pos, err := c.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("analytics status: unexpected argument %q", pos[0])
	}
	summary := !asJSON && !o.quiet
	o.quiet = o.quiet || summary // send prints the JSON; the summary replaces it
	return c.send(ctx, &o, func(ctx context.Context, cl *analytics.Client) (json.RawMessage, error) {
		st, err := cl.Status(ctx)
		if err != nil {
			return nil, err
		}
		if summary {
			printStatus(c.stdout, st)
			if c.source != "" {
				fmt.Fprintf(c.stdout, "settings:       %s\n", c.source)
			}
			return nil, nil
		}
		return encode(st)
	})
}

func (c *cli) preview(ctx context.Context, args []string) error {
	var o opts
	cmd := previewCommand()
	pos, err := c.parse(cmd, newFlagSet(cmd, &o, true), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("analytics preview: unexpected argument %q", pos[0])
	}
	return c.send(ctx, &o, func(ctx context.Context, cl *analytics.Client) (json.RawMessage, error) {
		p, err := cl.CheckInPreview(ctx)
		if err != nil {
			return nil, err
		}
		return encode(p)
	})
}

// encode encodes a document as the service does, without escaping HTML
// characters, so that what is printed is what the service sent.
func encode(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// printStatus writes the short summary of analytics status.
func printStatus(w io.Writer, st wire.Status) {
	ci := st.CheckIn
	if ci.Mode == wire.ModeOn {
		fmt.Fprintf(w, "data leaves this site: yes, check-ins upload to %s\n", ci.Upstream)
	} else {
		fmt.Fprintf(w, "data leaves this site: no (%s: %s)\n", ci.Mode, ci.Reason)
	}
	fmt.Fprintf(w, "last check-in:  %s\n", lastCheckIn(ci.Last))
	fmt.Fprintf(w, "next check-in:  %s\n", stampOr(ci.Next, "none scheduled"))
	wl := st.Whitelist
	fmt.Fprintf(w, "whitelist:      %s, %d events, %d snapshot fields\n", wl.Source, wl.Events, wl.Fields)
	s := st.Store
	fmt.Fprintf(w, "stored:         %d events, %d snapshots, %s\n", s.Events, s.Snapshots, bytesize.Of(s.Bytes, s.Limit))
	version := st.Version
	if version == "" {
		version = "unknown"
	}
	fmt.Fprintf(w, "service:        version %s, started %s\n", version, stampOr(&st.Started, ""))
}

func lastCheckIn(l *wire.CheckInRecord) string {
	if l == nil {
		return "none since the service started"
	}
	s := stampOr(&l.Time, "") + " " + string(l.Result)
	switch l.Result {
	case wire.CheckInSuccess:
		s += " (" + strconv.Itoa(l.Events) + " events, " + strconv.Itoa(l.Snapshots) + " snapshots)"
	case wire.CheckInFailure:
		s += ": " + l.Error
	case wire.CheckInSkipped:
		s += ": " + l.Skipped
	}
	return s
}

func stampOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}
