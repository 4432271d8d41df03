package doccheck

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	doc := "# t\n\n<!-- fragment -->\n```go\nx := 1\n```\n\ntext\n~~~sh\necho hi\n~~~\n"
	bs, err := Parse("t.md", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 {
		t.Fatalf("%d blocks, want 2: %+v", len(bs), bs)
	}
	if b := bs[0]; b.Lang != "go" || b.Marker != "fragment" || b.Text != "x := 1\n" || b.Line != 5 {
		t.Errorf("first block %+v", b)
	}
	if b := bs[1]; b.Lang != "sh" || b.Marker != "" || b.Text != "echo hi\n" || b.Line != 10 {
		t.Errorf("second block %+v", b)
	}
	if _, err := Parse("t.md", []byte("```go\nx\n")); err == nil || !strings.Contains(err.Error(), "t.md:1") {
		t.Errorf("an unclosed block: error %v, want one naming t.md:1", err)
	}
}

func TestTranscriptSteps(t *testing.T) {
	b := Block{File: "t.md", Line: 10, Marker: "transcript",
		Text: "$ analytics event x\n{\n}\n$ analytics event 'bad'\nanalytics: bad\n[exit status 2]\n"}
	steps, err := Transcript(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Output != "{\n}\n" || steps[0].Exit != 0 ||
		steps[1].Command != "analytics event 'bad'" || steps[1].Output != "analytics: bad\n" || steps[1].Exit != 2 || steps[1].Line != 13 {
		t.Errorf("steps %+v", steps)
	}
	if _, err := Transcript(Block{File: "t.md", Marker: "transcript", Text: "output first\n"}); err == nil {
		t.Error("output before any command was accepted")
	}
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		want, got string
		ok        bool
	}{
		{"a\nb\n", "a\nb\n", true},
		{"a\nb\n", "a\nc\n", false},
		{"a\nb\n", "a\nb\nc\n", false},
		{"a\n...\nz\n", "a\nb\nc\nz\n", true},
		{"a\n...\nz\n", "a\nz\n", true},
		{"size: ... bytes\n", "size: 16384 bytes\n", true},
		{"size: ... bytes\n", "size: 16384 KiB\n", false},
		{`"t": "2026-12-02T11:19:01.058Z"` + "\n", `"t": "2027-01-01T00:00:00.5Z"` + "\n", true},
		{`"t": "2026-12-02T11:19:01.058Z"` + "\n", `"t": "yesterday"` + "\n", false},
		{"a.b\n", "axb\n", false},
	} {
		if got := Matches(tc.want, tc.got); got != tc.ok {
			t.Errorf("Matches(%q, %q) = %v, want %v", tc.want, tc.got, got, tc.ok)
		}
	}
}
