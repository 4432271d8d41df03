package tkconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Substitutions.

// substRef is a ${path} or ${?path} left for the end of the file.
type substRef struct {
	path     []string
	optional bool
	pos      int
}

// parseSubstitution parses ${path} or ${?path}. A self-reference (a path at
// or below the field being set, as in path: ${path}":/x") means the value
// the field had before and is resolved now; any other is resolved once the
// whole file is read, as Typesafe Config does, so it may refer forward.
func (p *hoconParser) parseSubstitution() (piece, error) {
	start := p.pos
	p.pos += 2
	ref := &substRef{pos: start}
	if p.peek() == '?' {
		ref.optional = true
		p.pos++
	}
	p.skipSpaces()
	path, _, err := p.parseKey()
	if err != nil {
		return piece{}, err
	}
	p.skipSpaces()
	if p.peek() != '}' {
		return piece{}, p.errf("expected '}' to close the substitution, found %s", p.describe())
	}
	p.pos++
	ref.path = path
	pc := piece{kind: pieceSubst, pos: start}
	if !p.selfReference(path) {
		pc.ref = ref
		return pc, nil
	}
	pc.node, err = p.resolveNow(ref)
	return pc, err
}

// selfReference reports whether path is at or below the field being set.
func (p *hoconParser) selfReference(path []string) bool {
	field := p.key
	if len(field) == 0 {
		return false
	}
	under := func(abs []string) bool { return len(abs) >= len(field) && slices.Equal(abs[:len(field)], field) }
	return under(path) || len(p.prefix) > 0 && under(append(slices.Clip(p.prefix), path...))
}

// resolveNow resolves a self-reference against what is known so far; nil
// means an undefined optional one.
func (p *hoconParser) resolveNow(ref *substRef) (*node, error) {
	if n, ok := p.resolve(ref.path); ok {
		if err := p.spend(ref.pos, n.size()); err != nil {
			return nil, err
		}
		return n.clone(), nil
	}
	return p.fromEnv(ref)
}

// fromEnv resolves a substitution that names no key from the environment.
func (p *hoconParser) fromEnv(ref *substRef) (*node, error) {
	if p.env != nil {
		if v, ok := p.env(strings.Join(ref.path, ".")); ok {
			return leaf(v, p.file, p.lineOf(ref.pos)), nil
		}
	}
	if ref.optional {
		return nil, nil
	}
	e := p.errAt(ref.pos, "${%s} is not set in the configuration nor in the environment", renderPath(ref.path))
	e.Err = ErrUnresolved
	return nil, e
}

// spend counts what a substitution copies against the file's budget.
func (p *hoconParser) spend(pos, size int) error {
	p.budget.expansion += size
	if p.budget.expansion > maxExpansion {
		return p.errAt(pos, "substitutions copy more than %d values and bytes", maxExpansion)
	}
	return nil
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

// Includes.

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
	if p.budget.includes++; p.budget.includes > maxIncludes {
		return p.errAt(start, "more than %d includes", maxIncludes)
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
	info, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err == nil && !info.Mode().IsRegular() {
		return false, p.errAt(at, "include %s: not a regular file", file)
	}
	var data []byte
	if err == nil {
		data, err = os.ReadFile(file)
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
	child.budget = p.budget
	if err := child.checkText(); err != nil {
		return false, err
	}
	if err := child.parseRoot(obj, path, addressable); err != nil {
		return false, err
	}
	return true, nil
}
