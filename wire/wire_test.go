package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/analytics-client/analytics/wire"
)

// TestDocumentsRoundTrip: each document under testdata, in the service's
// encoding (no HTML escaping, no trailing newline), decodes into its wire
// type with no unknown field and encodes back to the same bytes.
func TestDocumentsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file string
		v    any
	}{
		{"status.json", new(wire.Status)},
		{"status-off.json", new(wire.Status)},
		{"preview.json", new(wire.Preview)},
		{"preview-off.json", new(wire.Preview)},
		{"error.json", new(wire.Error)},
		{"error-jvm.json", new(wire.Error)},
	} {
		t.Run(tc.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tc.v); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tc.v); err != nil {
				t.Fatal(err)
			}
			if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, want) {
				t.Errorf("re-encoded:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestStatusTyped: the enumerations decode into their typed constants.
func TestStatusTyped(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "status.json"))
	if err != nil {
		t.Fatal(err)
	}
	var st wire.Status
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.CheckIn.Mode != wire.ModeOn || st.CheckIn.Last.Result != wire.CheckInSuccess ||
		st.Whitelist.Source != wire.WhitelistFromUpstream || st.CheckIn.Last.Events != 12 {
		t.Errorf("status %+v, last %+v", st, st.CheckIn.Last)
	}
}

func TestKind(t *testing.T) {
	for _, tc := range []struct {
		k                wire.Kind
		name, collection string
	}{
		{wire.KindEvent, "event", "events"},
		{wire.KindSnapshot, "snapshot", "snapshots"},
		{0, "unknown", "unknown"},
		{wire.KindSnapshot + 1, "unknown", "unknown"},
	} {
		if tc.k.String() != tc.name || tc.k.Collection() != tc.collection {
			t.Errorf("Kind(%d): %q %q, want %q %q", tc.k, tc.k.String(), tc.k.Collection(), tc.name, tc.collection)
		}
	}
	// The numbers are stored in spools and tables.
	if wire.KindEvent != 1 || wire.KindSnapshot != 2 {
		t.Errorf("kind numbers changed: %d %d", wire.KindEvent, wire.KindSnapshot)
	}
}
