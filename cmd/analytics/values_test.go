package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/analyticstest"
)

// Values the service's value model refuses fail in the CLI, before any
// traffic, naming the key: numbers a float64 cannot hold, and JSON that
// encoding/json would silently change (a repeated key keeps the last, a
// lone surrogate or invalid UTF-8 becomes U+FFFD).
func TestStrictValues(t *testing.T) {
	srv := analyticstest.NewServer(t)
	dup := filepath.Join(t.TempDir(), "dup.json")
	if err := os.WriteFile(dup, []byte(`{"event":"a","event":"b"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"event", "demo.x", "f:=1e400"}, "invalid metadata.f: number 1e400 is out of the range of a float64"},
		{[]string{"event", "demo.x", "f:=-1e400"}, "invalid metadata.f: number -1e400 is out of the range of a float64"},
		{[]string{"snapshot", "l:=[1,1e999]"}, "invalid fields.l[1]: number 1e999 is out of the range"},
		{[]string{"event", "demo.x", `m:={"a":1,"a":2}`}, `m:={"a":1,"a":2}: invalid JSON: duplicate key "a" at byte offset 7`},
		{[]string{"event", "demo.x", `s:="\ud800"`}, `invalid JSON: lone surrogate \ud800 at byte offset 1`},
		{[]string{"event", "demo.x", "s=t\xe4re"}, "invalid metadata.s: text is not valid UTF-8 at byte 1"},
		{[]string{"event", "demo.\xff"}, "invalid event: text is not valid UTF-8 at byte 5"},
		{[]string{"event", "--json", dup}, `invalid JSON: duplicate key "event" at byte offset 13`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, testEnv(t, nil), append(tt.args, connFlags(srv.Config())...)...)
			expect(t, r, exitUsage)
			oneLine(t, r.stderr, tt.want)
		})
	}
	if evs, snaps := srv.Events(), srv.Snapshots(); len(evs)+len(snaps) != 0 {
		t.Errorf("the service stored %d events and %d snapshots", len(evs), len(snaps))
	}
}
