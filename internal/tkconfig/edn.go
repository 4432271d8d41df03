package tkconfig

import (
	"strings"
	"unicode/utf8"
)

// parseEDN reads the subset of EDN that Trapperkeeper configuration files
// use: one map at the top level, whose keys are keywords (:port, read as
// "port") or strings, and whose values are maps, vectors, lists and sets
// (read as arrays), strings, integers, floats, true, false, nil, keywords
// and symbols (read as strings). Comments (;) and #_ discards are skipped;
// commas are whitespace. Anything else (characters, tagged literals such as
// #inst, ratios) is an *Error naming the file, line and column, never
// skipped.
func parseEDN(file string, data []byte) (*node, error) {
	e := &ednReader{hoconParser: newHOCONParser(file, data, nil, nil)}
	if err := e.checkText(); err != nil {
		return nil, err
	}
	if err := e.skip(0); err != nil {
		return nil, err
	}
	if e.peek() != '{' {
		return nil, e.errf("the top level must be a map, found %s", e.describe())
	}
	root, err := e.form(nil, 0)
	if err != nil {
		return nil, err
	}
	if err := e.skip(0); err != nil {
		return nil, err
	}
	if !e.eof() {
		return nil, e.errf("unexpected %s after the top-level map", e.describe())
	}
	return root, nil
}

// ednReader reuses the HOCON parser's positions, errors and string
// escapes, which EDN shares with JSON.
type ednReader struct {
	*hoconParser
}

// skip passes whitespace, commas, ; comments and #_ discarded forms (read
// at depth, so that discards count against the nesting limit).
func (e *ednReader) skip(depth int) error {
	discards := 0
	for {
		c := e.peek()
		switch {
		case isSpace(c) || c == '\n' || c == ',':
			e.pos++
		case c == ';':
			for !e.eof() && e.peek() != '\n' {
				e.pos++
			}
		case c == '#' && e.peekAt(1) == '_':
			e.pos += 2
			if discards++; discards > maxDepth {
				return e.errf("more than %d #_ in a row", maxDepth)
			}
		case discards == 0:
			return nil
		case e.eof() || c == '}' || c == ']' || c == ')':
			return e.errf("#_ has no form to discard")
		default:
			if _, err := e.form(e.hoconParser.key, depth+1); err != nil {
				return err
			}
			discards--
		}
	}
}

// form reads one value; path names it in errors.
func (e *ednReader) form(path []string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, e.errf("maps and vectors nested more than %d deep", maxDepth)
	}
	line := e.lineOf(e.pos)
	switch c := e.peek(); {
	case c == '{':
		e.pos++
		return e.mapBody(path, depth, line)
	case c == '[' || c == '(':
		e.pos++
		return e.seq(path, depth, line, map[byte]byte{'[': ']', '(': ')'}[c])
	case c == '#' && e.peekAt(1) == '{':
		e.pos += 2
		return e.seq(path, depth, line, '}')
	case c == '"':
		s, err := e.parseString()
		return leaf(s, e.file, line), err
	case c == 0:
		return nil, e.errf("missing value at end of file")
	}
	return e.atom(line)
}

func (e *ednReader) mapBody(path []string, depth, line int) (*node, error) {
	obj := newObject(e.file, line)
	for {
		e.hoconParser.key = path
		if err := e.skip(depth); err != nil {
			return nil, err
		}
		if e.peek() == '}' {
			e.pos++
			return obj, nil
		}
		if e.eof() {
			return nil, e.errf("map is never closed")
		}
		keyPos := e.pos
		k, err := e.readKey()
		if err != nil {
			return nil, err
		}
		p := append(path[:len(path):len(path)], k)
		e.hoconParser.key = p
		if _, dup := obj.obj[k]; dup {
			return nil, e.errAt(keyPos, "key appears twice in the same map")
		}
		if err := e.skip(depth); err != nil {
			return nil, err
		}
		if e.peek() == '}' || e.eof() {
			return nil, e.errf("key has no value")
		}
		v, err := e.form(p, depth+1)
		if err != nil {
			return nil, err
		}
		v.line = e.lineOf(keyPos)
		obj.obj[k] = v
	}
}

// readKey reads a map key: a keyword without its colon, or a string.
func (e *ednReader) readKey() (string, error) {
	if e.peek() == '"' {
		return e.parseString()
	}
	if e.peek() != ':' {
		return "", e.errf("map keys must be keywords (:name) or strings, found %s", e.describe())
	}
	start := e.pos
	e.pos++
	word := e.word()
	if word == "" {
		return "", e.errAt(start, "empty keyword")
	}
	return word, nil
}

func (e *ednReader) seq(path []string, depth, line int, end byte) (*node, error) {
	arr := []any{}
	for {
		if err := e.skip(depth); err != nil {
			return nil, err
		}
		switch {
		case e.peek() == end:
			e.pos++
			return leaf(arr, e.file, line), nil
		case e.eof():
			return nil, e.errf("%q is never closed", end)
		case strings.IndexByte("}])", e.peek()) >= 0:
			return nil, e.errf("expected %q, found %s", end, e.describe())
		}
		v, err := e.form(path, depth+1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v.toAny())
	}
}

// word reads the characters of a symbol, keyword or number.
func (e *ednReader) word() string {
	start := e.pos
	for !e.eof() {
		r, size := utf8.DecodeRuneInString(e.src[e.pos:])
		if r < utf8.RuneSelf && !isEDNSymbolChar(byte(r)) {
			break
		}
		e.pos += size
	}
	return e.src[start:e.pos]
}

func isEDNSymbolChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(".*+!-_?$%&=<>/:#'", c) >= 0
}

// atom reads a number, true, false, nil, keyword or symbol.
func (e *ednReader) atom(line int) (*node, error) {
	start := e.pos
	if e.peek() == ':' {
		k, err := e.readKey()
		return leaf(k, e.file, line), err
	}
	if c := e.peek(); c == '#' || c == '\\' {
		return nil, e.errf("%s is not supported in configuration files (maps, vectors, strings, numbers, booleans, nil and keywords are)",
			map[byte]string{'#': "a tagged literal", '\\': "a character literal"}[c])
	}
	w := e.word()
	switch w {
	case "":
		return nil, e.errf("unexpected %s", e.describe())
	case "true", "false":
		return leaf(w == "true", e.file, line), nil
	case "nil":
		return leaf(nil, e.file, line), nil
	}
	if c := w[0]; c >= '0' && c <= '9' || (c == '-' || c == '+') && len(w) > 1 && w[1] >= '0' && w[1] <= '9' {
		n, ok := parseNumber(strings.TrimPrefix(w, "+"))
		if !ok {
			return nil, e.errAt(start, "%q is not a number this reader understands (integers and decimals are)", w)
		}
		return leaf(n, e.file, line), nil
	}
	return leaf(w, e.file, line), nil // a symbol
}
