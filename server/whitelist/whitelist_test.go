package whitelist_test

import (
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server/whitelist"
)

func TestDatatypeMatches(t *testing.T) {
	values := map[string]any{
		"string": "s", "number": json.Number("1.5"), "boolean": true,
		"array[string]": []any{"a", "b"}, "array[number]": []any{json.Number("1")}, "array[boolean]": []any{false},
		"object[string-number]": map[string]any{"k": json.Number("2")}, "object[string-string]": map[string]any{"k": "v"},
		"object[string-boolean]": map[string]any{"k": true},
	}
	for dt := range values {
		d := whitelist.Datatype(dt)
		if !d.Valid() {
			t.Errorf("%s not valid", dt)
		}
		for other, w := range values {
			if got, want := d.Matches(w), other == dt; got != want {
				t.Errorf("matches(%s, %s value) = %v, want %v", dt, other, got, want)
			}
		}
	}
	if !whitelist.DatatypeArrayString.Matches([]any{}) ||
		whitelist.DatatypeArrayString.Matches([]any{"a", json.Number("1")}) {
		t.Error("array[string] on an empty or mixed list")
	}
	if whitelist.DatatypeEvent.Matches("s") || whitelist.Datatype("map").Valid() {
		t.Error("event matches a value, or an unknown datatype is valid")
	}
}

func TestParseWhitelist(t *testing.T) {
	wl, err := whitelist.Parse("test", []byte(`{"a.b":{"datatype":"number","description":"A"},"e":{"datatype":"event"}}`))
	if err != nil || wl["a.b"] != (whitelist.Entry{Datatype: "number", Description: "A"}) || len(wl) != 2 {
		t.Fatalf("%v %v", wl, err)
	}
	for _, bad := range []string{`[]`, `null`, `{"a":{"datatype":"map"}}`, `{"":{"datatype":"event"}}`, `{`} {
		_, err := whitelist.Parse("src.json", []byte(bad))
		var we *whitelist.Error
		if !errors.As(err, &we) || we.Source != "src.json" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestHolder: Set installs a copy, so neither the caller's later changes
// nor a later Set reach a List handed out by Current; Copy is the
// caller's own.
func TestHolder(t *testing.T) {
	var h whitelist.Holder
	if src, _ := h.Source(); h.Current() != nil || h.Copy() != nil || src != whitelist.None {
		t.Fatal("the zero Holder holds a whitelist")
	}
	mine := whitelist.List{"e": {Datatype: whitelist.DatatypeEvent}}
	h.Set(mine, whitelist.FromFile, time.Unix(1, 0))
	mine["f"] = whitelist.Entry{Datatype: whitelist.DatatypeNumber}
	took := h.Current()
	if len(took) != 1 {
		t.Fatalf("the caller's change reached the holder: %v", took)
	}
	c := h.Copy()
	c["g"] = whitelist.Entry{Datatype: whitelist.DatatypeString}
	if src, at := h.Source(); src != whitelist.FromFile || !at.Equal(time.Unix(1, 0)) {
		t.Errorf("Source = %s %v", src, at)
	}
	h.Set(whitelist.List{"x": {Datatype: whitelist.DatatypeEvent}}, whitelist.FromUpstream, time.Unix(2, 0))
	if _, ok := took["e"]; !ok || len(took) != 1 {
		t.Errorf("a later Set or a Copy changed a List handed out by Current: %v", took)
	}
	if got := h.Current(); len(got) != 1 || got.CheckEvent("x") != "" {
		t.Errorf("Current after Set = %v", got)
	}
	h.Set(nil, whitelist.FromConfig, time.Unix(3, 0))
	if h.Current() != nil || h.Copy() != nil || h.Current().CheckEvent("anything") != "" {
		t.Error("Set(nil) left a whitelist")
	}
	if src, _ := h.Source(); src != whitelist.None {
		t.Errorf("the source of no whitelist is %s", src)
	}
}

// TestHolderConcurrent: Set, Current and Copy from many goroutines at
// once (run with -race).
func TestHolderConcurrent(t *testing.T) {
	var h whitelist.Holder
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				if i%2 == 0 {
					h.Set(whitelist.List{"e": {Datatype: whitelist.DatatypeEvent}}, whitelist.FromConfig, time.Now())
				} else {
					_ = h.Current().CheckEvent("e")
					_ = len(h.Copy())
					_, _ = h.Source()
				}
			}
		})
	}
	wg.Wait()
	if h.Current().CheckEvent("e") != "" {
		t.Error("the whitelist in force refuses its own event")
	}
}
