package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// try runs the whole exchange with no configuration and leaves nothing in
// the temporary directory.
func TestTry(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	r := runCLI(t, testEnv(t, nil), "try")
	expect(t, r, exitOK)

	sections := strings.Split(r.stdout, "\n# ")
	if len(sections) != 5 {
		t.Fatalf("stdout has %d sections, want the service line, 2 answers and 2 collections:\n%s", len(sections), r.stdout)
	}
	var snap struct {
		Accepted map[string]struct{ Value any } `json:"accepted"`
	}
	decodeSection(t, sections[1], &snap)
	if v := snap.Accepted["puppetserver.metric2"].Value; v != 1337.0 || len(snap.Accepted) != 4 {
		t.Errorf("snapshot answer accepted %+v", snap.Accepted)
	}
	var ev struct{ Event string }
	decodeSection(t, sections[2], &ev)
	if ev.Event != "puppetserver.some-event" {
		t.Errorf("event answer names %q", ev.Event)
	}
	var snaps []map[string]any
	decodeSection(t, sections[3], &snaps)
	var evs []map[string]any
	decodeSection(t, sections[4], &evs)
	if len(snaps) != 1 || len(evs) != 1 || evs[0]["event"] != "puppetserver.some-event" {
		t.Errorf("collections: %d snapshots, events %+v; want one of each", len(snaps), evs)
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("try left %d entries in TMPDIR, first %s", len(left), left[0].Name())
	}
}

// decodeSection decodes the JSON that follows a section's heading line.
func decodeSection(t *testing.T, section string, v any) {
	t.Helper()
	_, body, _ := strings.Cut(section, "\n")
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("section %q: %v", section, err)
	}
}
