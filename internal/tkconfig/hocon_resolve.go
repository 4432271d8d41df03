package tkconfig

import "slices"

// Resolution of substitutions once a whole HOCON file is read, as Typesafe
// Config resolves a parsed file: a substitution sees the file's final
// values, so it may refer forward, and a later write to a key it names is
// seen too.

// pending is a value made of pieces of which at least one is a
// substitution not resolved yet.
type pending struct {
	p      *hoconParser // the parser that read it: file, include point, positions
	pieces []piece
	start  int
	key    []string // the field, for errors

	busy, done bool
	result     *node // resolved value; nil with done means absent
}

// waiting reports whether a value made of pieces must wait for the end of
// the file.
func waiting(pieces []piece) bool {
	for _, pc := range pieces {
		if pc.ref != nil || pc.kind == pieceSubst && pc.node != nil && pc.node.unsettled() {
			return true
		}
	}
	return false
}

// resolver settles the values of one file (and its includes) in place.
type resolver struct {
	root *node
	// stack holds the pending values being resolved, innermost last, to
	// report a cycle where it closes.
	stack []*pending
}

// resolveFile resolves every substitution left in root.
func resolveFile(root *node) error {
	r := &resolver{root: root}
	_, _, err := r.deep(root)
	return err
}

// self settles n's own value: resolves its substitutions and merges it
// over the value beneath it. Its children may still wait. absent reports an
// undefined ${?x} with nothing beneath.
func (r *resolver) self(n *node) (*node, bool, error) {
	if !n.unsettled() {
		return n, false, nil
	}
	v, absent := n, false
	if n.pend != nil {
		res, err := r.resolvePending(n.pend)
		if err != nil {
			return nil, false, err
		}
		if absent = res == nil; !absent {
			v = res.clone()
			v.file, v.line = n.file, n.line
		}
	}
	if n.prev == nil {
		return v, absent, nil
	}
	prev, prevAbsent, err := r.self(n.prev)
	switch {
	case err != nil:
		return nil, false, err
	case absent:
		return prev, prevAbsent, nil
	case !prevAbsent && v.obj != nil && prev.obj != nil:
		merged := prev.clone()
		own := *v
		own.prev, own.pend = nil, nil
		mergeWithin(merged, &own)
		merged.file, merged.line, merged.deep = v.file, v.line, 0
		return merged, false, nil
	}
	if v == n {
		c := *n
		c.prev = nil
		return &c, false, nil
	}
	return v, false, nil
}

// deep settles n and everything below it.
func (r *resolver) deep(n *node) (*node, bool, error) {
	v, absent, err := r.self(n)
	if err != nil || absent {
		return nil, absent, err
	}
	switch v.deep {
	case 2:
		return v, false, nil
	case 1:
		return nil, false, r.cycle()
	}
	v.deep = 1
	if v.obj != nil {
		for _, k := range v.sortedKeys() {
			c, absent, err := r.deep(v.obj[k])
			if err != nil {
				return nil, false, err
			}
			if absent {
				delete(v.obj, k)
			} else {
				v.obj[k] = c
			}
		}
	} else if v.val, err = r.value(v.val); err != nil {
		return nil, false, err
	}
	v.deep = 2
	return v, false, nil
}

// value settles the values waiting inside an array or an object that is
// an array element.
func (r *resolver) value(v any) (any, error) {
	switch x := v.(type) {
	case *node:
		n, absent, err := r.deep(x)
		if err != nil || absent {
			return nil, err
		}
		return n.toAny(), nil
	case []any:
		out := x[:0]
		for _, e := range x {
			_, isNode := e.(*node)
			s, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if s != nil || !isNode { // an undefined ${?x} drops the element
				out = append(out, s)
			}
		}
		return out, nil
	case map[string]any:
		for k, e := range x {
			_, isNode := e.(*node)
			s, err := r.value(e)
			if err != nil {
				return nil, err
			}
			if s == nil && isNode {
				delete(x, k)
			} else {
				x[k] = s
			}
		}
	}
	return v, nil
}

// resolvePending resolves a pending value once; nil means absent.
func (r *resolver) resolvePending(pd *pending) (*node, error) {
	if pd.done {
		return pd.result, nil
	}
	if pd.busy {
		r.stack = append(r.stack, pd)
		return nil, r.cycle()
	}
	pd.busy = true
	r.stack = append(r.stack, pd)
	defer func() { r.stack = r.stack[:len(r.stack)-1] }()
	pieces := slices.Clone(pd.pieces)
	for i, pc := range pieces {
		n, err := r.piece(pd, pc)
		if err != nil {
			return nil, err
		}
		pieces[i].node, pieces[i].ref = n, nil
	}
	pd.p.key = pd.key
	v, absent, err := pd.p.concat(pieces, pd.start)
	if err != nil {
		return nil, err
	}
	if !absent {
		if v, absent, err = r.deep(v); err != nil {
			return nil, err
		}
	}
	pd.busy, pd.done = false, true
	if !absent {
		pd.result = v
	}
	return pd.result, nil
}

// piece resolves one piece of a pending value to its node (nil: absent).
func (r *resolver) piece(pd *pending, pc piece) (*node, error) {
	switch {
	case pc.ref != nil:
		return r.ref(pd, pc.ref)
	case pc.kind == pieceSubst && pc.node != nil:
		n, absent, err := r.deep(pc.node)
		if absent {
			return nil, err
		}
		return n, err
	}
	return pc.node, nil
}

// ref resolves a substitution against the file's values: relative to the
// include point first, then from the root, then the files loaded before,
// then the environment.
func (r *resolver) ref(pd *pending, ref *substRef) (*node, error) {
	p := pd.p
	paths := [][]string{ref.path}
	if len(p.prefix) > 0 {
		paths = [][]string{append(slices.Clip(p.prefix), ref.path...), ref.path}
	}
	for _, path := range paths {
		n, ok, err := r.lookup(path)
		if err != nil {
			return nil, err
		}
		if ok {
			return n.clone(), p.spend(ref.pos, n.size())
		}
	}
	if p.base != nil {
		if n, ok := p.base.lookup(ref.path); ok {
			return n.clone(), p.spend(ref.pos, n.size())
		}
	}
	p.key = pd.key
	return p.fromEnv(ref)
}

// lookup finds path in the file's values, settling what it passes through.
func (r *resolver) lookup(path []string) (*node, bool, error) {
	cur := r.root
	for _, k := range path {
		if cur.obj == nil {
			return nil, false, nil
		}
		next, ok := cur.obj[k]
		if !ok {
			return nil, false, nil
		}
		next, absent, err := r.self(next)
		if err != nil {
			return nil, false, err
		}
		if absent {
			delete(cur.obj, k)
			return nil, false, nil
		}
		cur.obj[k] = next
		cur = next
	}
	n, absent, err := r.deep(cur)
	return n, !absent && err == nil, err
}

// cycle reports a substitution that needs its own value.
func (r *resolver) cycle() error {
	if len(r.stack) == 0 {
		return &Error{Reason: "substitution cycle", Err: ErrUnresolved}
	}
	pd := r.stack[len(r.stack)-1]
	pd.p.key = pd.key
	e := pd.p.errAt(pd.start, "substitution cycle: the value needs itself")
	e.Err = ErrUnresolved
	return e
}
