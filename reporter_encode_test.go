package analytics

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// The Reporter's encoder writes exactly what encoding/json writes, for
// every kind of value the value model allows (and a few it falls back on).
func TestAppendEventJSONMatchesEncodingJSON(t *testing.T) {
	values := []any{
		"plain", "quote\" back\\slash", "<tag>&amp;", "ctl\x00\x01\b\f\n\r\t\x1f\x7f", "line\u2028para\u2029",
		"bad\xffutf8", "ünïcödé 日本", "",
		true, false, 0, -1, 1 << 62, int64(-5), int32(7), uint(3), uint64(1 << 63), uint32(9), int8(-3), uint16(4),
		0.0, 1.5, -2.25, 1e-7, 1e21, 1e20, 123456789.125, 5e-324, math.MaxFloat64, float32(0.1), float32(1e-7), float32(3e21),
		json.Number("12.50"),
		map[string]any{"b": 1, "a": "x", "c": []any{1, "two", map[string]any{"z": true}}},
		map[string]string{"k2": "v<2>", "k1": "v1"},
		Fields{"n": 1},
		[]string{"a", "b&c"}, []any{}, []int{1, 2}, []map[string]string{{"x": "y"}},
		map[string]int{"one": 1},
		map[string]any(nil), []string(nil), []any(nil), map[string]string(nil),
	}
	for _, v := range values {
		e := Event{Name: "n<ame>\u2028", Metadata: Fields{"v": v, "same": v}}
		want, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("json.Marshal(%#v): %v", v, err)
		}
		got, err := appendEventJSON([]byte("prefix"), e)
		if err != nil || !bytes.Equal(got[6:], want) {
			t.Errorf("value %#v:\n got %s, %v\nwant %s", v, got[6:], err, want)
		}
		s := Snapshot{Fields: Fields{"f": v}}
		want, _ = json.Marshal(s)
		got, err = appendSnapshotJSON(nil, s.Fields)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("snapshot %#v:\n got %s, %v\nwant %s", v, got, err, want)
		}
	}
	for _, e := range []Event{{Name: "bare"}, {Name: "empty", Metadata: Fields{}}} {
		want, _ := json.Marshal(e)
		if got, _ := appendEventJSON(nil, e); !bytes.Equal(got, want) {
			t.Errorf("%+v: got %s, want %s", e, got, want)
		}
	}
	many := Fields{}
	for i := range 40 { // more keys than the on-stack buffer holds
		many[string(rune('a'+i%26))+string(rune('a'+i/26))] = i
	}
	want, _ := json.Marshal(Snapshot{Fields: many})
	if got, _ := appendSnapshotJSON(nil, many); !bytes.Equal(got, want) {
		t.Errorf("40 keys: got %s, want %s", got, want)
	}
	if _, err := appendEventJSON(nil, Event{Name: "x", Metadata: Fields{"nan": math.NaN()}}); err == nil {
		t.Error("NaN encoded without an error")
	}
}

// FuzzAppendJSONString compares string quoting with encoding/json.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "\x00<>&\u2028\u2029\xff", "日本\"\\"} {
		f.Add(s, 1.5)
	}
	f.Fuzz(func(t *testing.T, s string, x float64) {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		e := Event{Name: s, Metadata: Fields{s: x, "s": s, "f32": float32(x)}}
		want, _ := json.Marshal(e)
		got, err := appendEventJSON(nil, e)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v\nwant %s", got, err, want)
		}
	})
}
