package tkconfig

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Values.

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
	kind  pieceKind
	text  string    // unquoted or quoted text
	node  *node     // object, or what a substitution resolved to (nil: undefined optional)
	ref   *substRef // a substitution resolved at the end of the file
	arr   []any
	lines []int  // the line of each element of arr
	ws    string // whitespace before the piece
	pos   int
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
		arr, lines, err := p.parseArray()
		pc.kind, pc.arr, pc.lines = pieceArray, arr, lines
		return pc, err
	case c == '$' && p.peekAt(1) == '{':
		return p.parseSubstitution()
	}
	start := p.pos
	for !p.eof() && unquotedValueChar(p.src[p.pos], p.peekAt(1)) {
		p.pos++
	}
	if p.pos == start {
		return pc, p.errf("unexpected %s", p.describe())
	}
	pc.kind, pc.text = pieceUnquoted, p.src[start:p.pos]
	if p.peek() == '/' {
		// Typesafe Config reads // as a comment wherever it stands, so
		// url: https://host/x is not a URL there; say so rather than keep
		// a value cut short.
		return pc, p.errAt(start, "unquoted value %q runs into \"//\", which starts a comment "+
			"(quote URLs: HOCON reads // as a comment)", pc.text)
	}
	return pc, nil
}

// unquotedValueChar reports whether c continues an unquoted value. This is
// more permissive than HOCON so that paths and host:port need no quotes:
// ':' '=' and the like are allowed. "//" ends the value as in HOCON, where
// it starts a comment.
func unquotedValueChar(c, next byte) bool {
	if isSpace(c) {
		return false
	}
	switch c {
	case '\n', '"', '{', '}', '[', ']', ',', '#':
		return false
	case '$':
		return next != '{'
	case '/':
		return next != '/'
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

// parseArray reads an array, and the line where each element begins.
func (p *hoconParser) parseArray() ([]any, []int, error) {
	if err := p.enter(); err != nil {
		return nil, nil, err
	}
	defer func() { p.depth-- }()
	open := p.pos
	p.pos++
	out := []any{}
	var lines []int
	for {
		p.skipBlank()
		switch p.peek() {
		case 0:
			return nil, nil, p.errAt(open, "'[' is never closed")
		case ']':
			p.pos++
			return out, lines, nil
		case ',':
			return nil, nil, p.errf("unexpected ',' where an array element was expected")
		}
		line := p.lineOf(p.pos)
		v, absent, err := p.parseValue(nil, false)
		if err != nil {
			return nil, nil, err
		}
		if !absent {
			out = append(out, v.toAny())
			lines = append(lines, line)
		}
		p.skipSpacesAndComment()
		switch p.peek() {
		case 0, '\n', ']':
		case ',':
			p.pos++
		default:
			return nil, nil, p.errf("expected a newline, ',' or ']' after an array element, found %s", p.describe())
		}
	}
}

// concat turns the pieces of one value into a node: a lone piece keeps its
// type; several pieces join into a string, or merge when all are objects,
// or append when all are arrays.
func (p *hoconParser) concat(pieces []piece, start int) (*node, bool, error) {
	line := p.lineOf(start)
	if waiting(pieces) {
		pd := &pending{p: p, pieces: pieces, start: start, key: slices.Clone(p.key)}
		return &node{pend: pd, file: p.file, line: line}, false, nil
	}
	if len(pieces) == 1 {
		pc := pieces[0]
		switch pc.kind {
		case pieceUnquoted:
			return leaf(scalarFromText(pc.text), p.file, line), false, nil
		case pieceQuoted:
			return leaf(pc.text, p.file, line), false, nil
		case pieceArray:
			n := leaf(pc.arr, p.file, line)
			n.elemLines = pc.lines
			return n, false, nil
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
		return nil, false, p.errAt(pieces[1].pos, "cannot concatenate objects or arrays with other values")
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

// Strings.

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
