package analytics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/analytics-client/analytics"
)

type status string

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	var nilSlice []string
	var nilMap map[string]int
	var nilPtr *int
	cases := []struct {
		name   string
		fields analytics.Fields
		path   string // "" means valid
		reason string // substring of the reason
	}{
		// Good.
		{"string", analytics.Fields{"a.b": "x"}, "", ""},
		{"empty string value", analytics.Fields{"a": ""}, "", ""},
		{"bool", analytics.Fields{"a": true}, "", ""},
		{"int kinds", analytics.Fields{"a": int8(1), "b": int16(2), "c": int32(3), "d": int64(4), "e": 5}, "", ""},
		{"uint kinds", analytics.Fields{"a": uint8(1), "b": uint16(2), "c": uint32(3), "d": uint64(4), "e": uint(5)}, "", ""},
		{"floats", analytics.Fields{"a": 1.5, "b": float32(2.5)}, "", ""},
		{"json.Number", analytics.Fields{"a": json.Number("-1.5e3")}, "", ""},
		{"named string type", analytics.Fields{"a": status("ok")}, "", ""},
		{"[]string", analytics.Fields{"a": []string{"1", "2"}}, "", ""},
		{"empty list", analytics.Fields{"a": []int{}}, "", ""},
		{"[]uint16", analytics.Fields{"a": []uint16{1, 2}}, "", ""},
		{"[]float64", analytics.Fields{"a": []float64{1, 2.5}}, "", ""},
		{"[]any of scalars", analytics.Fields{"a": []any{"x", 1, true, 2.5}}, "", ""},
		{"array", analytics.Fields{"a": [2]bool{true, false}}, "", ""},
		{"map[string]string", analytics.Fields{"a": map[string]string{"b": "c"}}, "", ""},
		{"map[string]int", analytics.Fields{"a": map[string]int{"b": 1}}, "", ""},
		{"map[string]any", analytics.Fields{"a": map[string]any{"b": 1, "c": "d", "e": false}}, "", ""},
		{"[]map[string]string", analytics.Fields{"a": []map[string]string{{"b": "c"}}}, "", ""},
		{"[]any with map", analytics.Fields{"a": []any{map[string]any{"b": 1}, "x"}}, "", ""},
		{"empty fields", analytics.Fields{}, "", ""},
		{"number too small for a float64 reads as zero", analytics.Fields{"a": json.Number("1e-400")}, "", ""},
		{"integer beyond int64", analytics.Fields{"a": json.Number("123456789012345678901234567890")}, "", ""},
		{"text beyond ASCII", analytics.Fields{"ü.k": "é😀", "m": map[string]string{"ключ": "値"}}, "", ""},
		// Bad.
		{"nil value", analytics.Fields{"a": nil}, "fields.a", "nil"},
		{"empty key", analytics.Fields{"": 1}, "fields", "key must not be empty"},
		{"NaN", analytics.Fields{"a": nan}, "fields.a", "NaN"},
		{"+Inf", analytics.Fields{"a": inf}, "fields.a", "infinity"},
		{"-Inf float32", analytics.Fields{"a": float32(math.Inf(-1))}, "fields.a", "infinity"},
		{"NaN in list", analytics.Fields{"a": []float64{1, nan}}, "fields.a[1]", "NaN"},
		{"NaN in map", analytics.Fields{"a": map[string]float64{"x": nan}}, "fields.a.x", "NaN"},
		{"bad json.Number", analytics.Fields{"a": json.Number("12abc")}, "fields.a", "not a number"},
		{"map in map", analytics.Fields{"puppetserver.metric4": map[string]any{"x": map[string]int{"y": 1}}}, "fields.puppetserver.metric4.x", "map may not contain a map"},
		{"list in map", analytics.Fields{"a": map[string]any{"x": []int{1}}}, "fields.a.x", "map may not contain a list"},
		{"list in list", analytics.Fields{"a": [][]string{{"x"}}}, "fields.a[0]", "list may not contain a list"},
		{"any list in any list", analytics.Fields{"a": []any{[]any{1}}}, "fields.a[0]", "list may not contain a list"},
		{"map in map in list", analytics.Fields{"a": []any{map[string]any{"b": map[string]any{}}}}, "fields.a[0].b", "map may not contain a map"},
		{"nil in list", analytics.Fields{"a": []any{1, nil}}, "fields.a[1]", "nil"},
		{"nil in map", analytics.Fields{"a": map[string]any{"k": nil}}, "fields.a.k", "nil"},
		{"empty key in map", analytics.Fields{"a": map[string]int{"": 1}}, "fields.a", "key must not be empty"},
		{"nil slice", analytics.Fields{"a": nilSlice}, "fields.a", "nil list"},
		{"nil map", analytics.Fields{"a": nilMap}, "fields.a", "nil map"},
		{"nil pointer", analytics.Fields{"a": nilPtr}, "fields.a", "nil"},
		{"pointer", analytics.Fields{"a": new(int)}, "fields.a", "unsupported type *int"},
		{"struct", analytics.Fields{"a": struct{ X int }{1}}, "fields.a", "unsupported type"},
		{"bytes", analytics.Fields{"a": []byte("x")}, "fields.a", "[]byte"},
		{"int map keys", analytics.Fields{"a": map[int]string{1: "x"}}, "fields.a", "map keys must be strings"},
		{"func", analytics.Fields{"a": func() {}}, "fields.a", "unsupported type"},
		{"complex", analytics.Fields{"a": complex(1, 2)}, "fields.a", "unsupported type complex128"},
		{"1e400", analytics.Fields{"f": json.Number("1e400")}, "fields.f", "number 1e400 is out of the range of a float64"},
		{"-1e400 in a list", analytics.Fields{"l": []any{1, json.Number("-1e400")}}, "fields.l[1]", "out of the range of a float64"},
		{"400 digits", analytics.Fields{"f": json.Number(strings.Repeat("9", 400))}, "fields.f", "out of the range of a float64"},
		{"1E309 in a map", analytics.Fields{"m": map[string]any{"x": json.Number("1E309")}}, "fields.m.x", "out of the range"},
		{"invalid UTF-8", analytics.Fields{"s": "t\xe4re"}, "fields.s", "not valid UTF-8 at byte 1"},
		{"lone surrogate", analytics.Fields{"s": "a\xed\xa0\x80"}, "fields.s", "not valid UTF-8 at byte 1"},
		{"invalid UTF-8 in []string", analytics.Fields{"l": []string{"ok", "\xff"}}, "fields.l[1]", "not valid UTF-8"},
		{"invalid UTF-8 in map[string]string", analytics.Fields{"m": map[string]string{"k": "\xc3"}}, "fields.m.k", "not valid UTF-8"},
		{"invalid UTF-8 in a named string", analytics.Fields{"s": status("\xff")}, "fields.s", "not valid UTF-8"},
		{"invalid UTF-8 in []any", analytics.Fields{"l": []any{map[string]any{"k": "\xff"}}}, "fields.l[0].k", "not valid UTF-8"},
		{"invalid UTF-8 key", analytics.Fields{"k\xff": 1}, "fields", `key "k\xff" is not valid UTF-8 at byte 1`},
		{"invalid UTF-8 key in a map", analytics.Fields{"m": map[string]int{"\xed\xb0\x80": 1}}, "fields.m", "is not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := analytics.Snapshot{Fields: tc.fields}.Validate()
			if tc.path == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if _, err := json.Marshal(analytics.Snapshot{Fields: tc.fields}); err != nil {
					t.Fatalf("valid payload does not encode: %v", err)
				}
				return
			}
			var ve *analytics.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want *ValidationError", err)
			}
			if ve.Path != tc.path || !strings.Contains(ve.Reason, tc.reason) {
				t.Errorf("got path %q reason %q; want path %q reason containing %q", ve.Path, ve.Reason, tc.path, tc.reason)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("message %q does not name the path", err)
			}
		})
	}
}

func TestValidateEvent(t *testing.T) {
	cases := []struct {
		event analytics.Event
		path  string
	}{
		{analytics.Event{Name: "a.b"}, ""},
		{analytics.Event{Name: "a.b", Metadata: analytics.Fields{}}, ""},
		{analytics.Event{Name: "a.b", Metadata: analytics.Fields{"k": []string{"x"}}}, ""},
		{analytics.Event{}, "event"},
		{analytics.Event{Name: "t\xe4re"}, "event"},
		{analytics.Event{Name: "a", Metadata: analytics.Fields{"f": json.Number("-1e400")}}, "metadata.f"},
		{analytics.Event{Name: "a", Metadata: analytics.Fields{"k": map[string]any{"x": []int{}}}}, "metadata.k.x"},
	}
	for _, tc := range cases {
		err := tc.event.Validate()
		var ve *analytics.ValidationError
		switch {
		case tc.path == "" && err != nil:
			t.Errorf("%+v: unexpected %v", tc.event, err)
		case tc.path != "" && (!errors.As(err, &ve) || ve.Path != tc.path):
			t.Errorf("%+v: err = %v, want path %q", tc.event, err, tc.path)
		}
	}
	if err := (analytics.Snapshot{}).Validate(); err == nil || !strings.Contains(err.Error(), "fields") {
		t.Errorf("snapshot without fields: %v", err)
	}
}

// modelAccepts is an independent statement of the value model over decoded
// JSON (which encoding/json has already made valid UTF-8), the oracle for
// FuzzValidate.
func modelAccepts(v any, inList, inMap bool) bool {
	switch x := v.(type) {
	case string, bool:
		return true
	case json.Number:
		_, err := strconv.ParseFloat(string(x), 64) // finite as a float64
		return err == nil
	case []any:
		if inList || inMap {
			return false
		}
		for _, item := range x {
			if !modelAccepts(item, true, false) {
				return false
			}
		}
		return true
	case map[string]any:
		if inMap {
			return false
		}
		for k, item := range x {
			if k == "" || !modelAccepts(item, false, true) {
				return false
			}
		}
		return true
	}
	return false
}

func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}`, `{"a":{"b":{"c":1}}}`, `{"a":[1,[2]]}`, `{"a":[{"b":1}]}`, `{"a":null}`,
		`{"":1}`, `{"a":[{"b":[1]}]}`, `{"a":{"b":"c"},"d":[true,false]}`, `{"a":1e400}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var fields map[string]any
		if err := dec.Decode(&fields); err != nil || fields == nil {
			return
		}
		want := true
		for k, v := range fields {
			if k == "" || !modelAccepts(v, false, false) {
				want = false
			}
		}
		err := analytics.Snapshot{Fields: fields}.Validate()
		if (err == nil) != want {
			t.Fatalf("Validate(%s) = %v, model says valid=%v", data, err, want)
		}
		if err != nil {
			var ve *analytics.ValidationError
			if !errors.As(err, &ve) || ve.Path == "" || ve.Reason == "" {
				t.Fatalf("error %v is not a complete *ValidationError", err)
			}
			return
		}
		out, err := json.Marshal(analytics.Snapshot{Fields: fields})
		if err != nil {
			t.Fatalf("valid payload does not encode: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("encoded invalid JSON: %s", out)
		}
	})
}

// TestStrictValuesSendNothing: numbers a float64 cannot hold and text that
// is not valid UTF-8 (a lone surrogate has no valid encoding) are refused
// by the Client and the Reporter with a *ValidationError naming the path,
// before any traffic: encoding/json would send ±Inf's literal as is and
// silently replace the text with U+FFFD.
func TestStrictValuesSendNothing(t *testing.T) {
	s := &scripted{status: 200}
	c := newClient(t, newPeer(t, s).config())
	r := newReporter(t, c, analytics.ReporterOptions{})
	ctx := context.Background()
	for _, tc := range []struct {
		ev   analytics.Event
		path string
	}{
		{analytics.Event{Name: "demo.x", Metadata: analytics.Fields{"f": json.Number("1e400")}}, "metadata.f"},
		{analytics.Event{Name: "demo.x", Metadata: analytics.Fields{"f": json.Number("-1e400")}}, "metadata.f"},
		{analytics.Event{Name: "demo.\xed\xa0\x80"}, "event"},
		{analytics.Event{Name: "demo.x", Metadata: analytics.Fields{"l": []string{"\xff"}}}, "metadata.l[0]"},
		{analytics.Event{Name: "demo.x", Metadata: analytics.Fields{"k\xc3": 1}}, "metadata"},
	} {
		var ve *analytics.ValidationError
		if _, err := c.StoreEvent(ctx, tc.ev); !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("StoreEvent(%q) = %v, want a *ValidationError at %s", tc.ev, err, tc.path)
		}
		if err := r.Event(tc.ev); !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("Reporter.Event(%q) = %v, want a *ValidationError at %s", tc.ev, err, tc.path)
		}
		if tc.ev.Metadata == nil {
			continue
		}
		snap := analytics.Snapshot{Fields: tc.ev.Metadata}
		path := strings.Replace(tc.path, "metadata", "fields", 1)
		if _, err := c.StoreSnapshot(ctx, snap); !errors.As(err, &ve) || ve.Path != path {
			t.Errorf("StoreSnapshot(%q) = %v, want a *ValidationError at %s", snap, err, path)
		}
		if err := r.Snapshot(snap); !errors.As(err, &ve) || ve.Path != path {
			t.Errorf("Reporter.Snapshot(%q) = %v, want a *ValidationError at %s", snap, err, path)
		}
	}
	if gets, posts := s.counts(); gets+posts != 0 {
		t.Errorf("traffic sent: gets=%d posts=%d", gets, posts)
	}
	if st := r.Stats(); st.Enqueued != 0 {
		t.Errorf("invalid items enqueued: %+v", st)
	}
}
