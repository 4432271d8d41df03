package server

import (
	"reflect"
	"testing"
)

// TestVerdictIsSmall: a key remembers the receive time and the refusals,
// not the answer: 24 bytes for an accepted command, whatever its size.
func TestVerdictIsSmall(t *testing.T) {
	accepted := verdict{stamp: "2026-11-29T18:56:39.790Z"}
	if b := accepted.encode(); len(b) != 24 {
		t.Errorf("accepted: %d bytes %q", len(b), b)
	}
	for _, v := range []verdict{accepted, {stamp: accepted.stamp, rejected: map[string]string{"a{b": "Not an expected field"}}} {
		got, ok := decodeVerdict(v.encode())
		if !ok || !reflect.DeepEqual(got, v) {
			t.Errorf("round trip of %+v: %+v %v", v, got, ok)
		}
	}
	for _, bad := range []string{"", `{"a":"b"}`, `2026{`} {
		if _, ok := decodeVerdict([]byte(bad)); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}
