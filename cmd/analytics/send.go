package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/analytics-client/analytics"
)

func eventCommand() command {
	return command{
		name:    "event",
		args:    "NAME [KEY=VALUE | KEY:=JSON ...] [flags]  |  event --json FILE [flags]",
		summary: "Store one event: a name with optional metadata",
		example: `  analytics event puppetserver.some-event property1=value property2:=1337 \
      property3:='["123","456"]' property4:='{"some":"value"}'
  echo '{"event":"demo.hello","metadata":{"n":3}}' | analytics event --json -`,
		run: (*cli).event,
	}
}

func snapshotCommand() command {
	return command{
		name:    "snapshot",
		args:    "KEY=VALUE | KEY:=JSON ... [flags]  |  snapshot --json FILE [flags]",
		summary: "Store a snapshot: namespaced fields describing a system now",
		example: `  analytics snapshot puppetserver.metric1=value puppetserver.metric2:=1337 \
      puppetserver.metric3:='["123","456"]' puppetserver.metric4:='{"something":"extra"}'
  analytics snapshot --json snapshot.json --config /etc/puppetlabs/puppetserver/conf.d`,
		run: (*cli).snapshot,
	}
}

func entrypointCommand() command {
	return command{
		name:    "entrypoint",
		args:    "[flags]",
		reads:   true,
		summary: "Print what the service advertises: its commands and version",
		example: "  analytics entrypoint --url https://puppet:8140/analytics \\\n" +
			"      --ssl-cert cert.pem --ssl-key key.pem --ssl-ca-cert ca.pem",
		run: (*cli).entrypoint,
	}
}

func (c *cli) event(ctx context.Context, args []string) error {
	var o opts
	cmd := eventCommand()
	fs := newFlagSet(cmd, &o, true)
	fs.StringVar(&o.json, "json", "", "send the payload {\"event\":NAME,\"metadata\":{...}} in `FILE` (- for stdin)")
	pos, err := c.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	ev, err := c.eventFrom(pos, o.json)
	if err != nil {
		return err
	}
	return c.send(ctx, &o, func(ctx context.Context, cl *analytics.Client) (json.RawMessage, error) {
		res, err := cl.StoreEvent(ctx, ev)
		if err != nil {
			return nil, err
		}
		return res.Raw, nil
	})
}

// eventFrom builds the event from NAME and pairs, or from the --json file,
// and validates it.
func (c *cli) eventFrom(pos []string, jsonPath string) (analytics.Event, error) {
	var ev analytics.Event
	switch {
	case jsonPath != "" && len(pos) > 0:
		return ev, usageErrorf("analytics event: --json cannot be combined with NAME or KEY=VALUE arguments")
	case jsonPath != "":
		var w wireEvent
		if err := c.readPayload(jsonPath, &w); err != nil {
			return ev, err
		}
		if w.Event == nil {
			return ev, usageErrorf("analytics event: --json %s: no \"event\" key", jsonPath)
		}
		ev = analytics.Event{Name: *w.Event, Metadata: w.Metadata}
	case len(pos) == 0:
		return ev, usageErrorf("analytics event: NAME is required (see analytics event --help)")
	case strings.Contains(pos[0], "="):
		return ev, usageErrorf("analytics event: NAME comes first, %q looks like a KEY=VALUE (see analytics event --help)", pos[0])
	default:
		ev.Name = pos[0]
		if len(pos) > 1 {
			md, err := parseFields(pos[1:])
			if err != nil {
				return ev, err
			}
			ev.Metadata = md
		}
	}
	return ev, ev.Validate()
}

func (c *cli) snapshot(ctx context.Context, args []string) error {
	var o opts
	cmd := snapshotCommand()
	fs := newFlagSet(cmd, &o, true)
	fs.StringVar(&o.json, "json", "", "send the payload {\"fields\":{...}} in `FILE` (- for stdin)")
	pos, err := c.parse(cmd, fs, args)
	if err != nil {
		return err
	}
	snap, err := c.snapshotFrom(pos, o.json)
	if err != nil {
		return err
	}
	return c.send(ctx, &o, func(ctx context.Context, cl *analytics.Client) (json.RawMessage, error) {
		res, err := cl.StoreSnapshot(ctx, snap)
		if err != nil {
			return nil, err
		}
		if len(res.Rejected) > 0 && len(res.Accepted) == 0 {
			return nil, &nothingStoredError{status: res.StatusCode, summary: res.RejectedSummary()}
		}
		if len(res.Rejected) > 0 {
			c.printPartial(res)
		}
		return res.Raw, nil
	})
}

// snapshotFrom builds the snapshot from pairs or the --json file and
// validates it.
func (c *cli) snapshotFrom(pos []string, jsonPath string) (analytics.Snapshot, error) {
	var snap analytics.Snapshot
	switch {
	case jsonPath != "" && len(pos) > 0:
		return snap, usageErrorf("analytics snapshot: --json cannot be combined with KEY=VALUE arguments")
	case jsonPath != "":
		var w wireSnapshot
		if err := c.readPayload(jsonPath, &w); err != nil {
			return snap, err
		}
		snap.Fields = w.Fields
	case len(pos) == 0:
		return snap, usageErrorf("analytics snapshot: at least one KEY=VALUE or KEY:=JSON is required (see analytics snapshot --help)")
	default:
		fields, err := parseFields(pos)
		if err != nil {
			return snap, err
		}
		snap.Fields = fields
	}
	return snap, snap.Validate()
}

// nothingStoredError is a 206 answer that refused every field: nothing was
// stored, which is a failure however the status reads.
type nothingStoredError struct {
	status  int
	summary string
}

func (e *nothingStoredError) Error() string {
	return fmt.Sprintf("analytics: snapshot not stored: the service refused every field (%d): %s", e.status, e.summary)
}

// printPartial reports, on stderr, the fields of a 206 answer that were not
// stored.
func (c *cli) printPartial(res *analytics.SnapshotResult) {
	fmt.Fprintf(c.stderr, "analytics: snapshot partly stored (%d); not stored: %s\n", res.StatusCode, res.RejectedSummary())
}

func (c *cli) entrypoint(ctx context.Context, args []string) error {
	var o opts
	cmd := entrypointCommand()
	pos, err := c.parse(cmd, newFlagSet(cmd, &o, true), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("analytics entrypoint: unexpected argument %q", pos[0])
	}
	return c.send(ctx, &o, func(ctx context.Context, cl *analytics.Client) (json.RawMessage, error) {
		ep, err := cl.Entrypoint(ctx)
		if err != nil {
			return nil, err
		}
		return ep.MarshalJSON()
	})
}

// send makes a client from the settings, runs do with it and prints the
// service's answer on stdout. An error answer goes to stderr only, as one
// line that holds its reasons.
func (c *cli) send(ctx context.Context, o *opts, do func(context.Context, *analytics.Client) (json.RawMessage, error)) error {
	client, explain, err := c.client(o)
	if err != nil {
		return err
	}
	defer client.Close()
	raw, err := do(ctx, client)
	if err != nil {
		return explain(err)
	}
	if !o.quiet {
		printJSON(c.stdout, raw)
	}
	return nil
}

// printJSON writes raw indented, or as it is when it is not JSON.
func printJSON(w io.Writer, raw []byte) {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		b.Reset()
		b.Write(bytes.TrimSpace(raw))
	}
	b.WriteByte('\n')
	w.Write(b.Bytes())
}
