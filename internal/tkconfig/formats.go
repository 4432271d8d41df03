package tkconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/ini.v1"
	"gopkg.in/yaml.v3"
)

// ---- JSON ----

// parseJSON parses strict JSON whose top level is an object. Numbers keep
// their precision (int64 when integral), and a key repeated within one
// object is an error, as in Typesafe Config's JSON mode.
func parseJSON(file string, data []byte) (*node, error) {
	j := jsonParser{file: file, data: data, dec: json.NewDecoder(bytes.NewReader(data)), lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			j.lines = append(j.lines, i+1)
		}
	}
	j.dec.UseNumber()
	tok, err := j.dec.Token()
	if err != nil {
		return nil, j.err(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, j.errAt(j.dec.InputOffset(), "", "the top level must be an object")
	}
	root := newObject(file, j.line(j.dec.InputOffset()))
	if err := j.object(root, nil, 1); err != nil {
		return nil, err
	}
	if _, err := j.dec.Token(); err != io.EOF {
		if err != nil {
			return nil, j.err(err)
		}
		return nil, j.errAt(j.dec.InputOffset(), "", "unexpected data after the top-level object")
	}
	return root, nil
}

type jsonParser struct {
	file string
	data []byte
	dec  *json.Decoder
	// lines holds the offsets where lines start.
	lines []int
}

func (j *jsonParser) line(off int64) int {
	return sort.SearchInts(j.lines, int(off)+1)
}

func (j *jsonParser) errAt(off int64, key, reason string) *Error {
	off = min(off, int64(len(j.data)))
	start := bytes.LastIndexByte(j.data[:off], '\n') + 1
	return &Error{File: j.file, Line: j.line(off), Col: len(bytes.Runes(j.data[start:off])) + 1,
		Key: key, Reason: reason, Err: ErrSyntax}
}

func (j *jsonParser) err(err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return j.errAt(se.Offset, "", se.Error())
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return j.errAt(int64(len(j.data)), "", "unexpected end of JSON input")
	}
	return j.errAt(j.dec.InputOffset(), "", err.Error())
}

// object reads members up to the closing '}' (already past the '{').
func (j *jsonParser) object(obj *node, path []string, depth int) error {
	if depth > maxDepth {
		return j.errAt(j.dec.InputOffset(), renderPath(path), "objects and arrays nested too deep")
	}
	for j.dec.More() {
		tok, err := j.dec.Token()
		if err != nil {
			return j.err(err)
		}
		key := tok.(string) // the decoder only yields string keys here
		p := append(path[:len(path):len(path)], key)
		off := j.dec.InputOffset()
		if _, dup := obj.obj[key]; dup {
			return j.errAt(off, renderPath(p), "key appears twice in the same object")
		}
		n, err := j.value(p, depth)
		if err != nil {
			return err
		}
		n.line = j.line(off)
		obj.obj[key] = n
	}
	if _, err := j.dec.Token(); err != nil { // the closing '}'
		return j.err(err)
	}
	return nil
}

func (j *jsonParser) value(path []string, depth int) (*node, error) {
	off := j.dec.InputOffset()
	tok, err := j.dec.Token()
	if err != nil {
		return nil, j.err(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			obj := newObject(j.file, j.line(off))
			return obj, j.object(obj, path, depth+1)
		}
		if depth > maxDepth {
			return nil, j.errAt(off, renderPath(path), "objects and arrays nested too deep")
		}
		arr := []any{}
		for j.dec.More() {
			n, err := j.value(path, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, n.toAny())
		}
		if _, err := j.dec.Token(); err != nil { // the closing ']'
			return nil, j.err(err)
		}
		return leaf(arr, j.file, j.line(off)), nil
	case json.Number:
		v, ok := parseNumber(t.String())
		if !ok {
			return nil, j.errAt(off, renderPath(path), "number "+t.String()+" is out of range")
		}
		return leaf(v, j.file, 0), nil
	default: // string, bool or nil
		return leaf(t, j.file, 0), nil
	}
}

// ---- YAML ----

// maxYAMLNodes bounds the nodes visited while expanding aliases, so that a
// small document of nested aliases cannot expand without end.
const maxYAMLNodes = 1 << 20

// yamlLine finds the line number in a yaml.v3 syntax error.
func yamlLine() *regexp.Regexp { return regexp.MustCompile(`^(line (\d+): )`) }

// parseYAML parses a YAML document whose top level is a mapping. Keys
// repeated in one mapping are an error; merge keys (<<) are honoured.
func parseYAML(file string, data []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		reason := strings.TrimPrefix(err.Error(), "yaml: ")
		e := &Error{File: file, Reason: reason, Err: ErrSyntax}
		if m := yamlLine().FindStringSubmatch(reason); m != nil {
			e.Line, _ = strconv.Atoi(m[2])
			e.Reason = reason[len(m[0]):]
		}
		return nil, e
	}
	root := newObject(file, 1)
	if len(doc.Content) == 0 {
		return root, nil // empty document
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.ShortTag() == "!!null" {
		return root, nil
	}
	if top.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: top.Line, Col: top.Column, Reason: "the top level must be a mapping", Err: ErrSyntax}
	}
	w := yamlWalker{file: file, budget: maxYAMLNodes}
	if err := w.mapping(top, root, nil, 0); err != nil {
		return nil, err
	}
	return root, nil
}

type yamlWalker struct {
	file   string
	budget int
}

func (w *yamlWalker) errAt(n *yaml.Node, path []string, reason string) *Error {
	return &Error{File: w.file, Line: n.Line, Col: n.Column, Key: renderPath(path), Reason: reason, Err: ErrSyntax}
}

func (w *yamlWalker) mapping(m *yaml.Node, obj *node, path []string, depth int) error {
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := resolveAlias(m.Content[i]), m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return w.errAt(k, path, "mapping keys must be scalars")
		}
		p := append(path[:len(path):len(path)], k.Value)
		if _, dup := obj.obj[k.Value]; dup {
			return w.errAt(k, p, "key appears twice in the same mapping")
		}
		n, err := w.value(v, p, depth+1)
		if err != nil {
			return err
		}
		n.line = k.Line
		obj.obj[k.Value] = n
	}
	// Merged keys never override keys written in the mapping itself, and
	// earlier merge sources win over later ones.
	for _, mv := range merges {
		mv = resolveAlias(mv)
		sources := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, src := range sources {
			src = resolveAlias(src)
			if src.Kind != yaml.MappingNode {
				return w.errAt(src, path, "a merge key (<<) must name a mapping or a list of mappings")
			}
			tmp := newObject(w.file, src.Line)
			if err := w.mapping(src, tmp, path, depth+1); err != nil {
				return err
			}
			for k, n := range tmp.obj {
				if _, ok := obj.obj[k]; !ok {
					obj.obj[k] = n
				}
			}
		}
	}
	return nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

func (w *yamlWalker) value(v *yaml.Node, path []string, depth int) (*node, error) {
	w.budget--
	if w.budget < 0 {
		return nil, w.errAt(v, path, "document too large once aliases are expanded")
	}
	if depth > maxDepth {
		return nil, w.errAt(v, path, "mappings and sequences nested too deep")
	}
	v = resolveAlias(v)
	switch v.Kind {
	case yaml.MappingNode:
		obj := newObject(w.file, v.Line)
		return obj, w.mapping(v, obj, path, depth)
	case yaml.SequenceNode:
		arr := make([]any, 0, len(v.Content))
		for _, e := range v.Content {
			n, err := w.value(e, path, depth+1)
			if err != nil {
				return nil, err
			}
			arr = append(arr, n.toAny())
		}
		return leaf(arr, w.file, v.Line), nil
	case yaml.ScalarNode:
		return leaf(yamlScalar(v), w.file, v.Line), nil
	}
	return nil, w.errAt(v, path, "unsupported YAML node")
}

// yamlScalar converts a scalar to the configuration's value types using
// YAML's own resolution (so 0x1F and 1_000 are integers).
func yamlScalar(v *yaml.Node) any {
	if v.ShortTag() == "!!str" || v.ShortTag() == "!!timestamp" {
		return v.Value
	}
	var x any
	if err := v.Decode(&x); err != nil {
		return v.Value
	}
	switch x := x.(type) {
	case nil, bool, string, int64, float64:
		return x
	case int:
		return int64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
		return float64(x)
	case time.Time:
		return v.Value
	}
	return v.Value
}

// ---- INI ----

// parseINI parses an INI file: each section becomes a top-level object and
// keys before any section sit at the top level. Values stay strings. A '#'
// or ';' starts a comment only after whitespace, so URLs with fragments
// survive.
func parseINI(file string, data []byte) (*node, error) {
	f, err := ini.LoadSources(ini.LoadOptions{SpaceBeforeInlineComment: true}, data)
	if err != nil {
		return nil, &Error{File: file, Reason: err.Error(), Err: ErrSyntax}
	}
	root := newObject(file, 0)
	for _, sec := range f.Sections() {
		target := root
		if name := sec.Name(); name != ini.DefaultSection {
			if _, dup := root.obj[name]; dup {
				return nil, &Error{File: file, Key: renderPath([]string{name}), Reason: "section has the name of a key outside any section", Err: ErrSyntax}
			}
			target = newObject(file, 0)
			root.obj[name] = target
		}
		for _, k := range sec.Keys() {
			target.obj[k.Name()] = leaf(k.Value(), file, 0)
		}
	}
	return root, nil
}
