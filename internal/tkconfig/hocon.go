package tkconfig

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep hostile input from exhausting the stack.
const (
	maxDepth        = 256 // nested objects and arrays, and segments of a key
	maxIncludeDepth = 32  // nested include directives
	maxIncludes     = 1024
	// maxExpansion bounds what substitutions may copy (values plus string
	// bytes), so that a = ${a} ${a} repeated cannot grow without end.
	maxExpansion = 1 << 22
)

// budget is shared by a file's parser and the parsers of its includes.
type budget struct {
	expansion int // copied by substitutions so far
	includes  int // files included so far
}

// hoconParser parses one HOCON file. Values are built as *node trees;
// substitutions are resolved as soon as they are read, against what is
// already known: keys earlier in this file (including the objects still
// being parsed), keys of files loaded before it, then the environment.
type hoconParser struct {
	file  string
	src   string
	pos   int
	lines []int // offsets where lines start

	env  func(string) (string, bool)
	base *node // merged tree of previously loaded files; may be nil

	frames   []frame  // objects being built, outermost first
	prefix   []string // include point of an included file
	depth    int
	includes []string // chain of files being included, for cycle detection
	budget   *budget
	key      []string // field being parsed, for error messages
}

// frame is an object under construction and the absolute path it will be
// stored at; substitutions look inside it so that later fields can refer to
// earlier siblings. Objects inside arrays have no path and are not visible.
type frame struct {
	path        []string
	addressable bool
	obj         *node
}

// parseHOCON parses data as the HOCON file named file.
func parseHOCON(file string, data []byte, env func(string) (string, bool), base *node) (*node, error) {
	root := newObject(file, 1)
	p := newHOCONParser(file, data, env, base)
	p.frames = []frame{{path: []string{}, addressable: true, obj: root}}
	if err := p.checkText(); err != nil {
		return nil, err
	}
	if err := p.parseRoot(root, []string{}, true); err != nil {
		return nil, err
	}
	if err := resolveFile(root); err != nil {
		return nil, err
	}
	return root, nil
}

func newHOCONParser(file string, data []byte, env func(string) (string, bool), base *node) *hoconParser {
	src := strings.TrimPrefix(string(data), "\uFEFF")
	lines := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &hoconParser{file: file, src: src, lines: lines, env: env, base: base, budget: &budget{}}
}

// checkText rejects input that is not UTF-8 text, naming where it breaks.
func (p *hoconParser) checkText() error {
	for i := 0; i < len(p.src); {
		r, size := utf8.DecodeRuneInString(p.src[i:])
		if r == utf8.RuneError && size <= 1 {
			return p.errAt(i, "invalid UTF-8")
		}
		if r == 0 {
			return p.errAt(i, "NUL character")
		}
		i += size
	}
	return nil
}

// ---- positions and errors ----

func (p *hoconParser) lineCol(pos int) (int, int) {
	i := sort.Search(len(p.lines), func(i int) bool { return p.lines[i] > pos }) - 1
	return i + 1, utf8.RuneCountInString(p.src[p.lines[i]:pos]) + 1
}

func (p *hoconParser) lineOf(pos int) int {
	l, _ := p.lineCol(pos)
	return l
}

func (p *hoconParser) errAt(pos int, format string, args ...any) *Error {
	line, col := p.lineCol(min(pos, len(p.src)))
	e := &Error{File: p.file, Line: line, Col: col, Reason: fmt.Sprintf(format, args...), Err: ErrSyntax}
	if len(p.key) > 0 {
		e.Key = renderPath(p.key)
	}
	return e
}

func (p *hoconParser) errf(format string, args ...any) *Error {
	return p.errAt(p.pos, format, args...)
}

// describe names the character at pos for error messages.
func (p *hoconParser) describe() string {
	if p.eof() {
		return "end of file"
	}
	if p.src[p.pos] == '\n' {
		return "end of line"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

// ---- low-level scanning ----

func (p *hoconParser) eof() bool { return p.pos >= len(p.src) }

func (p *hoconParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *hoconParser) peekAt(off int) byte {
	if p.pos+off >= len(p.src) {
		return 0
	}
	return p.src[p.pos+off]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

func (p *hoconParser) atComment() bool {
	c := p.peek()
	return c == '#' || c == '/' && p.peekAt(1) == '/'
}

// skipSpaces skips spaces and tabs (not newlines) and returns them.
func (p *hoconParser) skipSpaces() string {
	start := p.pos
	for !p.eof() && isSpace(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

// skipSpacesAndComment skips spaces and a comment up to (not including) the
// end of the line.
func (p *hoconParser) skipSpacesAndComment() {
	p.skipSpaces()
	if p.atComment() {
		for !p.eof() && p.src[p.pos] != '\n' {
			p.pos++
		}
	}
}

// skipBlank skips spaces, newlines and comments.
func (p *hoconParser) skipBlank() {
	for {
		p.skipSpacesAndComment()
		if p.peek() != '\n' {
			return
		}
		p.pos++
	}
}

func (p *hoconParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errf("objects and arrays nested more than %d deep", maxDepth)
	}
	return nil
}

// ---- objects and fields ----

// parseRoot parses a whole file into obj, which sits at path.
func (p *hoconParser) parseRoot(obj *node, path []string, addressable bool) error {
	p.skipBlank()
	if p.peek() != '{' {
		return p.parseFields(obj, path, -1, addressable)
	}
	open := p.pos
	p.pos++
	if err := p.parseFields(obj, path, open, addressable); err != nil {
		return err
	}
	p.skipBlank()
	p.key = nil
	if !p.eof() {
		return p.errf("unexpected %s after the root object's closing '}'", p.describe())
	}
	return nil
}

// parseFields parses fields into obj until the '}' matching the brace at
// offset open, or until end of file when open < 0 (a root without braces).
// addressable is false inside arrays, where substitutions cannot reach.
func (p *hoconParser) parseFields(obj *node, path []string, open int, addressable bool) error {
	for {
		p.skipBlank()
		p.key = path
		switch {
		case p.eof():
			if open >= 0 {
				return p.errAt(open, "'{' is never closed")
			}
			return nil
		case p.peek() == '}':
			if open < 0 {
				return p.errf("unexpected '}' with no open object")
			}
			p.pos++
			return nil
		case p.peek() == ',':
			return p.errf("unexpected ',' where a key was expected")
		}
		if err := p.parseField(obj, path, addressable); err != nil {
			return err
		}
		p.skipSpacesAndComment()
		switch p.peek() {
		case 0, '\n', '}':
		case ',':
			p.pos++
		default:
			return p.errf("expected a newline, ',' or '}' after the value, found %s", p.describe())
		}
	}
}

// parseField parses one "key: value", "key = value", "key { ... }" or
// include directive and stores it into obj, which sits at path.
func (p *hoconParser) parseField(obj *node, path []string, addressable bool) error {
	start := p.pos
	p.key = path
	keys, quoted, err := p.parseKey()
	if err != nil {
		return err
	}
	full := append(slices.Clip(path), keys...)
	if len(full) > maxDepth {
		return p.errAt(start, "key has more than %d segments", maxDepth)
	}
	p.skipSpaces()
	if len(keys) == 1 && keys[0] == "include" && !quoted {
		if c := p.peek(); c == '"' || c >= 'a' && c <= 'z' {
			return p.parseInclude(obj, path, addressable)
		}
	}
	p.key = full
	switch c := p.peek(); {
	case c == '{':
	case c == ':' || c == '=':
		p.pos++
		p.skipSpaces()
	case c == '+' && p.peekAt(1) == '=':
		p.pos += 2
		p.skipSpaces()
		return p.parseAppend(obj, keys, full, addressable, start)
	default:
		return p.errf("expected ':', '=' or '{' after the key, found %s", p.describe())
	}
	val, absent, err := p.parseValue(full, addressable)
	if err != nil {
		return err
	}
	if absent {
		return nil // an undefined ${?optional} leaves the field unset
	}
	// The key belongs to this file even when its value was copied from
	// elsewhere by a substitution.
	val.file, val.line = p.file, p.lineOf(start)
	setWithin(obj, keys, val)
	return nil
}

// parseAppend parses "key += value", which HOCON defines as
// key = ${?key} [value]: the value is appended to the array the key holds,
// or starts one.
func (p *hoconParser) parseAppend(obj *node, keys, full []string, addressable bool, start int) error {
	at := p.pos
	val, absent, err := p.parseValue(full, addressable)
	if err != nil || absent {
		return err
	}
	prev, err := p.resolveNow(&substRef{path: full, optional: true, pos: at})
	if err != nil {
		return err
	}
	if prev != nil && !prev.unsettled() && !isArray(prev.val) {
		return p.errAt(at, "+= appends to an array, but the key already holds %s", describeValue(prev))
	}
	pieces := []piece{{kind: pieceSubst, node: prev, pos: at}, {kind: pieceArray, arr: []any{val.toAny()}, pos: at}}
	if prev == nil {
		pieces = pieces[1:]
	}
	res, _, err := p.concat(pieces, at)
	if err != nil {
		return err
	}
	res.file, res.line = p.file, p.lineOf(start)
	setWithin(obj, keys, res)
	return nil
}

// describeValue names the kind of a settled value for error messages.
func describeValue(n *node) string {
	if n.obj != nil {
		return "an object"
	}
	return "the value " + formatScalar(n.val)
}

// isKeyChar reports whether c may appear in an unquoted key. HOCON forbids
// these characters in unquoted text; '.' separates path segments.
func isKeyChar(c byte) bool {
	if isSpace(c) {
		return false
	}
	return !strings.ContainsRune("\n$\"{}[]:=,+#`^?!@*&\\.", rune(c))
}

// parseKey parses a path expression such as a.b."c.d" into its segments.
// quoted reports whether any part was quoted (so "include" is a plain key).
func (p *hoconParser) parseKey() (segs []string, quoted bool, err error) {
	var cur strings.Builder
	started := false
	for {
		c := p.peek()
		switch {
		case c == '"':
			s, err := p.parseString()
			if err != nil {
				return nil, false, err
			}
			cur.WriteString(s)
			started, quoted = true, true
		case c == '.':
			if !started {
				return nil, false, p.errf("empty key segment before '.'")
			}
			segs = append(segs, cur.String())
			cur.Reset()
			started = false
			p.pos++
		case c != 0 && isKeyChar(c) && !(c == '/' && p.peekAt(1) == '/'):
			start := p.pos
			for !p.eof() && isKeyChar(p.src[p.pos]) && !(p.src[p.pos] == '/' && p.peekAt(1) == '/') {
				p.pos++
			}
			cur.WriteString(p.src[start:p.pos])
			started = true
		default:
			if !started {
				if len(segs) > 0 {
					return nil, false, p.errf("key ends with '.'")
				}
				return nil, false, p.errf("expected a key, found %s", p.describe())
			}
			return append(segs, cur.String()), quoted, nil
		}
	}
}
