package opsview

import (
	"encoding/json"
	"testing"
)

// TestDisplayText: control, bidi and separator characters are written as
// JSON escapes, which keep a JSON document the same document; line feeds,
// tabs and every other character stay as they are (issue 17.10).
func TestDisplayText(t *testing.T) {
	for in, want := range map[string]string{
		"evil\u202egnp.exe":      `evil\u202egnp.exe`,
		"a\u2066b\u200fc\u061cd": `a\u2066b\u200fc\u061cd`,
		"bell\a and nul\x00":     `bell\u0007 and nul\u0000`,
		"lines\nand\ttabs":       "lines\nand\ttabs",
		"sep\u2028ar\u2029ate":   `sep\u2028ar\u2029ate`,
		"tag \U000E0041 above":   `tag \udb40\udc41 above`,
		"plain ünïcödé, 日本, ß":   "plain ünïcödé, 日本, ß",
	} {
		if got := displayText(in); got != want {
			t.Errorf("displayText(%q) = %q, want %q", in, got, want)
		}
	}
	doc := `{"event":"evil` + "\u202e" + `gnp.exe"}`
	var a, b any
	if json.Unmarshal([]byte(doc), &a) != nil || json.Unmarshal([]byte(displayText(doc)), &b) != nil || a.(map[string]any)["event"] != b.(map[string]any)["event"] {
		t.Errorf("the escaped document decodes to %v, the original to %v", b, a)
	}
}
