package tkconfig

import (
	"maps"
	"slices"
)

// node is one value of the configuration tree together with where it was
// set. An object has a non-nil obj; any other node is a leaf whose val is a
// string, bool, int64, float64, []any (elements in the same types plus
// map[string]any) or nil for null.
type node struct {
	obj  map[string]*node
	val  any
	file string
	line int
	// elemLines holds the line of each element of an array value written
	// as one literal; nil when unknown (a concatenation, a substitution,
	// another format).
	elemLines []int

	// While a HOCON file is read, a value may not be known yet: pend holds
	// the substitutions it waits for, and prev the value written earlier
	// at the same key, which it merges over when both turn out objects
	// (and which stands when pend is an undefined ${?x}). Both are nil
	// once the file is resolved.
	pend *pending
	prev *node
	// deep tracks resolving everything below the node: 0 not started,
	// 1 under way, 2 done.
	deep uint8
}

// unsettled reports whether the node's own value waits for resolution.
func (n *node) unsettled() bool { return n.pend != nil || n.prev != nil }

func newObject(file string, line int) *node {
	return &node{obj: map[string]*node{}, file: file, line: line}
}

func leaf(v any, file string, line int) *node {
	return &node{val: v, file: file, line: line}
}

func (n *node) lookup(keys []string) (*node, bool) {
	cur := n
	for _, k := range keys {
		if cur.obj == nil {
			return nil, false
		}
		next, ok := cur.obj[k]
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

func (n *node) clone() *node {
	c := &node{file: n.file, line: n.line, pend: n.pend, deep: n.deep & 2, // never copy "under way"
		elemLines: n.elemLines}
	if n.prev != nil {
		c.prev = n.prev.clone()
	}
	if n.obj == nil {
		c.val = cloneValue(n.val)
		return c
	}
	c.obj = make(map[string]*node, len(n.obj))
	for k, v := range n.obj {
		c.obj[k] = v.clone()
	}
	return c
}

// toAny converts the subtree to plain Go values, sharing nothing with it.
// A value not resolved yet stays a *node, for the resolver to find.
func (n *node) toAny() any {
	if n.unsettled() {
		return n.clone()
	}
	if n.obj == nil {
		return cloneValue(n.val)
	}
	m := make(map[string]any, len(n.obj))
	for k, c := range n.obj {
		m[k] = c.toAny()
	}
	return m
}

// size counts the values in the subtree plus the bytes of its strings.
func (n *node) size() int {
	if n.obj == nil {
		return valueSize(n.val)
	}
	total := 1
	for k, c := range n.obj {
		total += len(k) + c.size()
	}
	return total
}

func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return 1 + len(v)
	case []any:
		total := 1
		for _, e := range v {
			total += valueSize(e)
		}
		return total
	case map[string]any:
		total := 1
		for k, e := range v {
			total += len(k) + valueSize(e)
		}
		return total
	}
	return 1
}

func (n *node) sortedKeys() []string {
	return slices.Sorted(maps.Keys(n.obj))
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case *node:
		return v.clone()
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneValue(e)
		}
		return out
	}
	return v
}

// mergeWithin merges src over dst the way HOCON treats a key repeated in
// one file: objects merge key by key, anything else is replaced.
func mergeWithin(dst, src *node) {
	for k, s := range src.obj {
		if d, ok := dst.obj[k]; ok {
			dst.obj[k] = layer(d, s)
			continue
		}
		dst.obj[k] = s
	}
}

// layer returns what a key holds once val is written over old in one
// file: two objects merge; a value not known yet keeps old beneath it, to
// merge with or fall back to when it is resolved; otherwise val wins.
func layer(old, val *node) *node {
	if old.obj != nil && val.obj != nil && !val.unsettled() {
		mergeWithin(old, val)
		return old
	}
	if val.pend != nil || val.obj != nil && old.unsettled() {
		val.prev = old
	}
	return val
}

// setWithin sets root[keys...] = val with HOCON's in-file rules: a dotted
// key creates the objects it names (replacing a non-object in the way), and
// an object value merges into an object already there.
func setWithin(root *node, keys []string, val *node) {
	cur := root
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur.obj[k]
		if !ok || next.obj == nil {
			obj := newObject(val.file, val.line)
			if ok && next.unsettled() {
				obj.prev = next // a.b: 1 after a: ${x} adds to what x holds
			}
			next = obj
			cur.obj[k] = next
		}
		cur = next
	}
	last := keys[len(keys)-1]
	if old, ok := cur.obj[last]; ok {
		cur.obj[last] = layer(old, val)
		return
	}
	cur.obj[last] = val
}

// mergeFiles merges the tree of a later file into the accumulated tree the
// way Trapperkeeper does: objects merge, and any key both trees set to a
// non-object is an ErrDuplicate. src is consumed.
func mergeFiles(dst, src *node, path []string) error {
	for _, k := range src.sortedKeys() {
		s := src.obj[k]
		d, ok := dst.obj[k]
		if !ok {
			dst.obj[k] = s
			continue
		}
		p := append(path[:len(path):len(path)], k)
		if d.obj != nil && s.obj != nil {
			if err := mergeFiles(d, s, p); err != nil {
				return err
			}
			continue
		}
		return duplicateError(p, d, s)
	}
	return nil
}
