package tkconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep hostile input from exhausting the stack.
const (
	maxDepth        = 256 // nested objects and arrays
	maxIncludeDepth = 32  // nested include directives
)

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
	return &hoconParser{file: file, src: src, lines: lines, env: env, base: base}
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
		switch {
		case p.eof():
			if open >= 0 {
				p.key = path
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
		return p.errf("'+=' is not supported; write the whole array")
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
	val.line = p.lineOf(start)
	setWithin(obj, keys, val)
	return nil
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

// ---- values ----

type pieceKind int

const (
	pieceUnquoted pieceKind = iota
	pieceQuoted
	pieceObject
	pieceArray
	pieceSubst
)

// piece is one part of a value; HOCON concatenates the pieces of a value
// written on one line, keeping the whitespace between them.
type piece struct {
	kind pieceKind
	text string // unquoted or quoted text
	node *node  // object, or what a substitution resolved to (nil: undefined optional)
	arr  []any
	ws   string // whitespace before the piece
	pos  int
}

// valueEnds reports whether the value being read ends here.
func (p *hoconParser) valueEnds() bool {
	switch p.peek() {
	case 0, '\n', ',', '}', ']', '#':
		return true
	case '/':
		return p.peekAt(1) == '/'
	}
	return false
}

// parseValue reads the value of a field (path set) or array element (path
// nil). absent reports an undefined optional substitution standing alone.
func (p *hoconParser) parseValue(path []string, addressable bool) (val *node, absent bool, err error) {
	start := p.pos
	var pieces []piece
	for {
		ws := p.skipSpaces()
		if p.valueEnds() {
			break
		}
		pc, err := p.parsePiece(path, addressable)
		if err != nil {
			return nil, false, err
		}
		pc.ws = ws
		pieces = append(pieces, pc)
	}
	if len(pieces) == 0 {
		return nil, false, p.errAt(start, "missing value, found %s", p.describe())
	}
	return p.concat(pieces, start)
}

func (p *hoconParser) parsePiece(path []string, addressable bool) (piece, error) {
	pc := piece{pos: p.pos}
	switch c := p.peek(); {
	case c == '"':
		s, err := p.parseString()
		pc.kind, pc.text = pieceQuoted, s
		return pc, err
	case c == '{':
		obj, err := p.parseObject(path, addressable)
		pc.kind, pc.node = pieceObject, obj
		return pc, err
	case c == '[':
		arr, err := p.parseArray()
		pc.kind, pc.arr = pieceArray, arr
		return pc, err
	case c == '$' && p.peekAt(1) == '{':
		n, err := p.parseSubstitution()
		pc.kind, pc.node = pieceSubst, n
		return pc, err
	}
	start := p.pos
	for !p.eof() && unquotedValueChar(p.src[p.pos], p.peekAt(1)) {
		p.pos++
	}
	if p.pos == start {
		return pc, p.errf("unexpected %s", p.describe())
	}
	pc.kind, pc.text = pieceUnquoted, p.src[start:p.pos]
	return pc, nil
}

// unquotedValueChar reports whether c continues an unquoted value. This is
// more permissive than HOCON so that URLs and paths need no quotes: ':'
// '=' and the like are allowed, and "//" inside a token is kept (it starts a
// comment only at the start of a token, i.e. after whitespace or ':').
func unquotedValueChar(c, next byte) bool {
	if isSpace(c) {
		return false
	}
	switch c {
	case '\n', '"', '{', '}', '[', ']', ',', '#':
		return false
	case '$':
		return next != '{'
	}
	return true
}

func (p *hoconParser) parseObject(path []string, addressable bool) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	open := p.pos
	p.pos++
	obj := newObject(p.file, p.lineOf(open))
	addressable = addressable && path != nil
	p.frames = append(p.frames, frame{path: path, addressable: addressable, obj: obj})
	defer func() { p.frames = p.frames[:len(p.frames)-1] }()
	saved := p.key
	defer func() { p.key = saved }()
	if path == nil {
		path = p.key // inside an array: used only to name keys in errors
	}
	if err := p.parseFields(obj, path, open, addressable); err != nil {
		return nil, err
	}
	return obj, nil
}

func (p *hoconParser) parseArray() ([]any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	open := p.pos
	p.pos++
	out := []any{}
	for {
		p.skipBlank()
		switch p.peek() {
		case 0:
			return nil, p.errAt(open, "'[' is never closed")
		case ']':
			p.pos++
			return out, nil
		case ',':
			return nil, p.errf("unexpected ',' where an array element was expected")
		}
		v, absent, err := p.parseValue(nil, false)
		if err != nil {
			return nil, err
		}
		if !absent {
			out = append(out, v.toAny())
		}
		p.skipSpacesAndComment()
		switch p.peek() {
		case 0, '\n', ']':
		case ',':
			p.pos++
		default:
			return nil, p.errf("expected a newline, ',' or ']' after an array element, found %s", p.describe())
		}
	}
}

// concat turns the pieces of one value into a node: a lone piece keeps its
// type; several pieces join into a string, or merge when all are objects,
// or append when all are arrays.
func (p *hoconParser) concat(pieces []piece, start int) (*node, bool, error) {
	line := p.lineOf(start)
	if len(pieces) == 1 {
		pc := pieces[0]
		switch pc.kind {
		case pieceUnquoted:
			return leaf(scalarFromText(pc.text), p.file, line), false, nil
		case pieceQuoted:
			return leaf(pc.text, p.file, line), false, nil
		case pieceArray:
			return leaf(pc.arr, p.file, line), false, nil
		}
		return pc.node, pc.node == nil, nil
	}
	var objs []*node
	var arrs [][]any
	texts := 0
	present := 0
	for _, pc := range pieces {
		switch {
		case pc.kind == pieceSubst && pc.node == nil:
			continue
		case pc.node != nil && pc.node.obj != nil:
			objs = append(objs, pc.node)
		case pc.kind == pieceArray:
			arrs = append(arrs, pc.arr)
		case pc.kind == pieceSubst && isArray(pc.node.val):
			arrs = append(arrs, pc.node.val.([]any))
		default:
			texts++
		}
		present++
	}
	switch {
	case present == 0:
		return nil, true, nil
	case len(objs) == present:
		out := newObject(p.file, line)
		for _, o := range objs {
			mergeWithin(out, o.clone())
		}
		return out, false, nil
	case len(arrs) == present:
		out := []any{}
		for _, a := range arrs {
			out = append(out, cloneValue(a).([]any)...)
		}
		return leaf(out, p.file, line), false, nil
	case texts != present:
		return nil, false, p.errAt(start, "cannot concatenate objects or arrays with other values")
	}
	var b strings.Builder
	for i, pc := range pieces {
		if i > 0 {
			b.WriteString(pc.ws)
		}
		switch {
		case pc.kind == pieceSubst && pc.node != nil:
			b.WriteString(formatScalar(pc.node.val))
		case pc.kind != pieceSubst:
			b.WriteString(pc.text)
		}
	}
	return leaf(b.String(), p.file, line), false, nil
}

func isArray(v any) bool {
	_, ok := v.([]any)
	return ok
}

// scalarFromText types an unquoted value standing alone.
func scalarFromText(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if n, ok := parseNumber(s); ok {
		return n
	}
	return s
}

// parseNumber parses JSON number syntax: integers become int64 (float64 if
// they overflow it, as Typesafe Config does), others float64.
func parseNumber(s string) (any, bool) {
	if !isJSONNumber(s) {
		return nil, false
	}
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false // out of float64 range: keep the text
	}
	return f, true
}

func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// formatScalar renders a scalar the way it reads in a config file.
func formatScalar(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

// ---- strings ----

// parseString parses a quoted or triple-quoted string at p.pos.
func (p *hoconParser) parseString() (string, error) {
	if strings.HasPrefix(p.src[p.pos:], `"""`) {
		return p.parseTriple()
	}
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errAt(start, "string is never closed")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\n':
			return "", p.errAt(start, `string is never closed on its line (use """ for multi-line text)`)
		case c < 0x20 && c != '\t':
			return "", p.errf("control character %q in a string", c)
		case c == '\\':
			if err := p.parseEscape(&b); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

func (p *hoconParser) parseEscape(b *strings.Builder) error {
	esc := p.pos
	p.pos++
	if p.eof() {
		return p.errAt(esc, "string is never closed")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		r, ok := p.hex4()
		if !ok {
			return p.errAt(esc, `\u must be followed by four hex digits`)
		}
		if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(p.src[p.pos:], `\u`) {
			save := p.pos
			p.pos += 2
			if lo, ok := p.hex4(); ok && lo >= 0xDC00 && lo < 0xE000 {
				r = (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000
			} else {
				p.pos = save
			}
		}
		b.WriteRune(r) // a lone surrogate becomes U+FFFD
	default:
		return p.errAt(esc, "invalid escape \\%c in a string", c)
	}
	return nil
}

func (p *hoconParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.src) {
		return 0, false
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(v), true
}

// parseTriple parses """raw text""" with no escapes; quotes just before the
// closing """ belong to the text, as in HOCON.
func (p *hoconParser) parseTriple() (string, error) {
	start := p.pos
	i := strings.Index(p.src[start+3:], `"""`)
	if i < 0 {
		return "", p.errAt(start, `triple-quoted string is never closed`)
	}
	end := start + 3 + i + 3
	for end < len(p.src) && p.src[end] == '"' {
		end++
	}
	p.pos = end
	return p.src[start+3 : end-3], nil
}

// ---- substitutions ----

// parseSubstitution parses ${path} or ${?path} and resolves it now. It
// returns nil for an undefined optional substitution.
func (p *hoconParser) parseSubstitution() (*node, error) {
	start := p.pos
	p.pos += 2
	optional := false
	if p.peek() == '?' {
		optional = true
		p.pos++
	}
	p.skipSpaces()
	path, _, err := p.parseKey()
	if err != nil {
		return nil, err
	}
	p.skipSpaces()
	if p.peek() != '}' {
		return nil, p.errf("expected '}' to close the substitution, found %s", p.describe())
	}
	p.pos++
	if n, ok := p.resolve(path); ok {
		return n.clone(), nil
	}
	if p.env != nil {
		if v, ok := p.env(strings.Join(path, ".")); ok {
			return leaf(v, p.file, p.lineOf(start)), nil
		}
	}
	if optional {
		return nil, nil
	}
	e := p.errAt(start, "${%s} is not set earlier in the configuration nor in the environment", renderPath(path))
	e.Err = ErrUnresolved
	return nil, e
}

// resolve looks path up relative to an include point first, then from the
// root, as HOCON does for included files.
func (p *hoconParser) resolve(path []string) (*node, bool) {
	if len(p.prefix) > 0 {
		if n, ok := p.find(append(slices.Clip(p.prefix), path...)); ok {
			return n, true
		}
	}
	return p.find(path)
}

func (p *hoconParser) find(path []string) (*node, bool) {
	for i := len(p.frames) - 1; i >= 0; i-- {
		f := p.frames[i]
		// An object is not visible from inside itself as a whole: ${a}
		// within a { ... } means the value a had before.
		if !f.addressable || len(path) <= len(f.path) || !slices.Equal(path[:len(f.path)], f.path) {
			continue
		}
		if n, ok := f.obj.lookup(path[len(f.path):]); ok {
			return n, true
		}
	}
	if p.base != nil {
		return p.base.lookup(path)
	}
	return nil, false
}

// ---- includes ----

// parseInclude handles include "file", include file("file") and
// include required(...) by merging the named file into obj.
func (p *hoconParser) parseInclude(obj *node, path []string, addressable bool) error {
	start := p.pos
	name, required, err := p.parseIncludeSpec(false)
	if err != nil {
		return err
	}
	if len(p.includes) >= maxIncludeDepth {
		return p.errAt(start, "includes nested more than %d deep", maxIncludeDepth)
	}
	if !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(p.file), name)
	}
	candidates := []string{name}
	if filepath.Ext(name) == "" {
		candidates = []string{name, name + ".conf", name + ".json"}
	}
	found := false
	for _, c := range candidates {
		ok, err := p.includeFile(obj, path, addressable, c, start)
		if err != nil {
			return err
		}
		found = found || ok
	}
	if !found && required {
		e := p.errAt(start, "required include %q not found", name)
		e.Err = fs.ErrNotExist
		return e
	}
	return nil
}

func (p *hoconParser) parseIncludeSpec(nested bool) (name string, required bool, err error) {
	if p.peek() == '"' {
		name, err = p.parseString()
		return name, false, err
	}
	start := p.pos
	for c := p.peek(); c >= 'a' && c <= 'z'; c = p.peek() {
		p.pos++
	}
	word := p.src[start:p.pos]
	if p.peek() != '(' {
		return "", false, p.errAt(start, `expected include "file", file("...") or required(...)`)
	}
	p.pos++
	p.skipSpaces()
	switch {
	case word == "file" && p.peek() == '"':
		name, err = p.parseString()
	case word == "required" && !nested:
		name, _, err = p.parseIncludeSpec(true)
		required = true
	case word == "url" || word == "classpath":
		return "", false, p.errAt(start, "include %s(...) is not supported; include files only", word)
	default:
		return "", false, p.errAt(start, `expected include "file", file("...") or required(...)`)
	}
	if err != nil {
		return "", false, err
	}
	p.skipSpaces()
	if p.peek() != ')' {
		return "", false, p.errf("expected ')' in include, found %s", p.describe())
	}
	p.pos++
	return name, required, nil
}

// includeFile parses file into obj; it reports false if the file does not
// exist.
func (p *hoconParser) includeFile(obj *node, path []string, addressable bool, file string, at int) (bool, error) {
	if slices.Contains(p.includes, file) || file == p.file {
		return false, p.errAt(at, "include cycle through %s", file)
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		e := p.errAt(at, "include: %v", err)
		e.Err = err
		return false, e
	}
	if strings.EqualFold(filepath.Ext(file), ".json") {
		n, err := parseJSON(file, data)
		if err != nil {
			return false, err
		}
		mergeWithin(obj, n)
		return true, nil
	}
	child := newHOCONParser(file, data, p.env, p.base)
	child.frames = slices.Clone(p.frames)
	child.prefix = path
	child.depth = p.depth
	child.includes = append(slices.Clip(p.includes), p.file)
	if err := child.checkText(); err != nil {
		return false, err
	}
	if err := child.parseRoot(obj, path, addressable); err != nil {
		return false, err
	}
	return true, nil
}
