package tkconfig

import (
	"fmt"
	"strconv"
	"strings"
)

// parseProperties reads a Java .properties file as Typesafe Config does
// (Trapperkeeper reads .properties through it): each key is a path split
// at '.', each value a string. Lines follow java.util.Properties: # and !
// comments, key=value, key:value or key value, a trailing backslash
// continues the line, and \t \n \r \f \uXXXX escapes. A key set twice keeps
// its last value; where a key is both a value and the parent of other keys
// (a=1 and a.b=2), the object wins, as in Typesafe Config.
func parseProperties(file string, data []byte) (*node, error) {
	root := newObject(file, 1)
	lines := strings.Split(strings.TrimPrefix(string(data), "\uFEFF"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		logical := strings.TrimLeft(strings.TrimSuffix(lines[i], "\r"), " \t\f")
		for continued(logical) && i+1 < len(lines) {
			i++
			logical = logical[:len(logical)-1] + strings.TrimLeft(strings.TrimSuffix(lines[i], "\r"), " \t\f")
		}
		if logical == "" || logical[0] == '#' || logical[0] == '!' {
			continue
		}
		key, value, err := splitProperty(logical)
		if err != nil {
			return nil, &Error{File: file, Line: lineNo, Reason: err.Error(), Err: ErrSyntax}
		}
		path := strings.Split(key, ".")
		if len(path) > maxDepth || strings.Contains("."+key+".", "..") {
			return nil, &Error{File: file, Line: lineNo, Key: key, Reason: "key has an empty or too many '.'-separated parts", Err: ErrSyntax}
		}
		setProperty(root, path, leaf(value, file, lineNo))
	}
	return root, nil
}

// continued reports whether a line ends with an odd number of backslashes.
func continued(line string) bool {
	n := len(line) - len(strings.TrimRight(line, `\`))
	return n%2 == 1
}

// splitProperty splits a logical line into its unescaped key and value.
func splitProperty(line string) (string, string, error) {
	end := 0
	for end < len(line) {
		c := line[end]
		if c == '\\' {
			end += 2
			continue
		}
		if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
			break
		}
		end++
	}
	end = min(end, len(line))
	rest := strings.TrimLeft(line[end:], " \t\f")
	if rest != "" && (rest[0] == '=' || rest[0] == ':') {
		rest = strings.TrimLeft(rest[1:], " \t\f")
	}
	key, err := unescapeProperty(line[:end])
	if err != nil {
		return "", "", err
	}
	value, err := unescapeProperty(rest)
	return key, value, err
}

func unescapeProperty(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", fmt.Errorf(`\u must be followed by four hex digits: %q`, s[i-1:])
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				return "", fmt.Errorf(`\u must be followed by four hex digits: %q`, s[i-1:i+5])
			}
			b.WriteRune(rune(r))
			i += 4
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// setProperty sets path to val; an object already in the way wins over a
// value, and a value in the way of an object gives way.
func setProperty(root *node, path []string, val *node) {
	cur := root
	for _, k := range path[:len(path)-1] {
		next, ok := cur.obj[k]
		if !ok || next.obj == nil {
			next = newObject(val.file, val.line)
			cur.obj[k] = next
		}
		cur = next
	}
	last := path[len(path)-1]
	if old, ok := cur.obj[last]; ok && old.obj != nil {
		return
	}
	cur.obj[last] = val
}
