package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/analyticstest"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/wire"
)

func TestStatusCommand(t *testing.T) {
	srv := analyticstest.NewServer(t)
	runCLI(t, testEnv(t, nil), append([]string{"event", "status.e"}, connFlags(srv.Config())...)...)
	r := runCLI(t, testEnv(t, nil), append([]string{"status"}, connFlags(srv.Config())...)...)
	expect(t, r, exitOK)
	for _, want := range []string{
		"data leaves this site: no (no-product: no product name configured)\n",
		"last check-in:  none since the service started\n",
		"next check-in:  none scheduled\n",
		"whitelist:      none, 0 events, 0 snapshot fields\n",
		"service:        version unknown, started 20",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// Sizes are for people: "4.0 KiB of 1.0 GiB", not byte counts.
	if !regexp.MustCompile(`\nstored: +1 events, 0 snapshots, [0-9]+(\.[0-9])? (B|KiB|MiB) of [0-9]+\.[0-9] (MiB|GiB)\n`).MatchString(r.stdout) {
		t.Errorf("summary lacks the stored line with sizes for people:\n%s", r.stdout)
	}
	r = runCLI(t, testEnv(t, nil), append([]string{"status", "--json"}, connFlags(srv.Config())...)...)
	expect(t, r, exitOK)
	var st wire.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st.CheckIn.Mode != wire.ModeNoProduct || st.Store.Events != 1 {
		t.Errorf("--json: %v %+v", err, st)
	}
}

func TestPreviewCommand(t *testing.T) {
	srv := analyticstest.NewServer(t)
	r := runCLI(t, testEnv(t, nil), append([]string{"preview"}, connFlags(srv.Config())...)...)
	expect(t, r, exitOK)
	var p wire.Preview
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || p.Mode != wire.ModeNoProduct || string(p.Upload) != "null" {
		t.Errorf("preview: %v %+v", err, p)
	}
	if r := runCLI(t, testEnv(t, nil), append([]string{"preview", "extra"}, connFlags(srv.Config())...)...); r.code != exitUsage {
		t.Errorf("extra argument: exit %d", r.code)
	}
}

// TestOperatorCommandsRefused: a client that is not an operator gets the
// service's 403 as one line and exit status 1.
func TestOperatorCommandsRefused(t *testing.T) {
	srv := analyticstest.NewServer(t, analyticstest.WithAuthorization(server.DefaultRules(server.DefaultPrefix, pki.ServerCommonName)))
	for _, cmd := range []string{"status", "preview"} {
		r := runCLI(t, testEnv(t, nil), append([]string{cmd}, connFlags(srv.Config())...)...)
		expect(t, r, exitRejected)
		oneLine(t, r.stderr, "403")
		if r.stdout != "" {
			t.Errorf("%s printed %q", cmd, r.stdout)
		}
	}
}
