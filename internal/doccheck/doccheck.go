// Package doccheck reads the fenced blocks of the project's Markdown
// documents, so that tests can execute what the documents show: every Go
// block is compiled, every CLI transcript is run against a development
// service, and the module instructions are followed in a throwaway module.
// The tests are in this package's test files.
//
// A block may be marked by an HTML comment on the line before its opening
// fence: <!-- fragment --> (Go statements, compiled inside a function),
// <!-- fragment ExampleName --> (also the body of that Example function of
// the root package, as it is), <!-- transcript --> (a shell session whose
// output and exit status are compared) or <!-- transcript: commands -->
// (commands that must succeed).
package doccheck

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Block is one fenced code block of a Markdown document.
type Block struct {
	// File is the document's path as given to Blocks.
	File string
	// Line is the line of the block's first line of text, 1-based.
	Line int
	// Lang is the first word of the fence's info string ("go", "sh").
	Lang string
	// Marker is the text of the HTML comment on the line just before the
	// opening fence ("fragment", "transcript"), or "".
	Marker string
	// Text is the block's content, each line ending in a newline.
	Text string
}

// Pos is the block's position, FILE:LINE, for messages.
func (b Block) Pos() string { return fmt.Sprintf("%s:%d", b.File, b.Line) }

var markerRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)

// Blocks returns the fenced blocks (``` or ~~~ fences) of the Markdown
// file at path, in order. An unclosed fence is an error.
func Blocks(path string) ([]Block, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse is Blocks on the document data, named file in blocks and errors.
func Parse(file string, data []byte) ([]Block, error) {
	var (
		blocks []Block
		cur    *Block
		fence  string
		text   strings.Builder
		prev   string
		n      int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			info := strings.Fields(strings.TrimLeft(trimmed, fence[:1]))
			cur = &Block{File: file, Line: n + 1}
			if len(info) > 0 {
				cur.Lang = info[0]
			}
			if m := markerRE.FindStringSubmatch(strings.TrimSpace(prev)); m != nil {
				cur.Marker = m[1]
			}
			text.Reset()
		case cur != nil && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "":
			cur.Text = text.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			text.WriteString(line)
			text.WriteByte('\n')
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: the block opened here is not closed", file, cur.Line-1)
	}
	return blocks, nil
}
