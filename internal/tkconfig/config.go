package tkconfig

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is a loaded configuration tree that remembers which file set each
// key. It is immutable, so it is safe for concurrent use; getters return
// copies.
//
// Getters take a key as its path segments, taken literally:
// c.Int("webserver", "port"), or
// c.String("web-router-service", "puppetlabs.analytics.service/analytics-service").
// A key set to null counts as not set for the typed getters.
type Config struct {
	root  *node
	path  []string // where root sits in the loaded tree, for messages
	files []string
}

// Files returns the files that were loaded, in load order.
func (c *Config) Files() []string { return slices.Clone(c.files) }

func (c *Config) node(keys []string) (*node, bool) {
	if c == nil || c.root == nil {
		return nil, false
	}
	return c.root.lookup(keys)
}

// Get returns the value at keys: a string, bool, int64, float64, []any,
// map[string]any or nil (null). The value is a copy.
func (c *Config) Get(keys ...string) (any, bool) {
	n, ok := c.node(keys)
	if !ok {
		return nil, false
	}
	return n.toAny(), true
}

// Sub returns the object at keys as a Config of its own that still knows
// which file set each key. It reports false if keys is missing or not an
// object.
func (c *Config) Sub(keys ...string) (*Config, bool) {
	n, ok := c.node(keys)
	if !ok || n.obj == nil {
		return nil, false
	}
	return &Config{root: n, path: append(slices.Clip(c.path), keys...), files: c.files}, true
}

// File returns the file that set keys, "" if keys is not set. For an
// object spread over several files it is the first of them. Callers
// resolve relative paths in a value against filepath.Dir(File(...)).
func (c *Config) File(keys ...string) string {
	f, _ := c.Origin(keys...)
	return f
}

// Origin returns the file and line (0 if unknown) that set keys.
func (c *Config) Origin(keys ...string) (file string, line int) {
	n, ok := c.node(keys)
	if !ok {
		return "", 0
	}
	return n.file, n.line
}

// ElementOrigins returns the file of the array at keys and the line where
// each of its elements begins; lines is nil when they are not known (an
// array built by concatenation or substitution, or read from a format
// other than HOCON). Use it to name the element a problem is in.
func (c *Config) ElementOrigins(keys ...string) (file string, lines []int) {
	n, ok := c.node(keys)
	if !ok || !isArray(n.val) || len(n.elemLines) != len(n.val.([]any)) {
		return "", nil
	}
	return n.file, slices.Clone(n.elemLines)
}

// Map returns a deep copy of the tree.
func (c *Config) Map() map[string]any {
	if c == nil || c.root == nil {
		return map[string]any{}
	}
	return c.root.toAny().(map[string]any)
}

// Keys returns the top-level keys, sorted.
func (c *Config) Keys() []string {
	if c == nil || c.root == nil {
		return nil
	}
	return c.root.sortedKeys()
}

// Decode stores the tree at keys (the whole tree with no keys) in v the way
// encoding/json would decode its JSON form, so a struct with json tags can
// hold a section. It reports false if keys is not set.
func (c *Config) Decode(v any, keys ...string) (bool, error) {
	n, ok := c.node(keys)
	if !ok {
		return false, nil
	}
	data, err := json.Marshal(n.toAny())
	if err == nil {
		err = json.Unmarshal(data, v)
	}
	if err != nil {
		return true, c.typeError(n, keys, "cannot decode: "+err.Error())
	}
	return true, nil
}

func (c *Config) typeError(n *node, keys []string, reason string) *Error {
	return &Error{File: n.file, Line: n.line, Key: renderPath(append(slices.Clip(c.path), keys...)), Reason: reason, Err: ErrType}
}

// scalar finds the leaf at keys; it reports false for missing or null
// values and errors for objects and arrays.
func (c *Config) scalar(keys []string, want string) (*node, bool, error) {
	n, ok := c.node(keys)
	if !ok || n.obj == nil && n.val == nil {
		return nil, false, nil
	}
	switch {
	case n.obj != nil:
		return nil, true, c.typeError(n, keys, "is an object, not "+want)
	case isArray(n.val):
		return nil, true, c.typeError(n, keys, "is an array, not "+want)
	}
	return n, true, nil
}

// String returns the value at keys as a string; numbers and booleans are
// formatted as they would be written.
func (c *Config) String(keys ...string) (string, bool, error) {
	n, ok, err := c.scalar(keys, "a string")
	if !ok || err != nil {
		return "", ok, err
	}
	return formatScalar(n.val), true, nil
}

// Path returns the string at keys as a file path: a relative path is
// resolved against the directory of the file that set it, so a conf.d
// means the same whatever directory the program starts in. The client's
// LoadConfig and the service read every path setting this way. Leading
// and trailing spaces are trimmed; "" means not set.
func (c *Config) Path(keys ...string) (string, bool, error) {
	s, ok, err := c.String(keys...)
	s = strings.TrimSpace(s)
	if !ok || err != nil || s == "" || filepath.IsAbs(s) {
		return s, ok, err
	}
	return filepath.Join(filepath.Dir(c.File(keys...)), s), true, nil
}

// Int returns the value at keys as an integer. Strings such as "8140" (as
// INI files hold) and floats with no fractional part are accepted.
func (c *Config) Int(keys ...string) (int64, bool, error) {
	n, ok, err := c.scalar(keys, "an integer")
	if !ok || err != nil {
		return 0, ok, err
	}
	switch v := n.val.(type) {
	case int64:
		return v, true, nil
	case float64:
		if v == math.Trunc(v) && v >= math.MinInt64 && v < math.MaxInt64 {
			return int64(v), true, nil
		}
	case string:
		if i, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
			return i, true, nil
		}
	}
	return 0, true, c.typeError(n, keys, fmt.Sprintf("%q is not an integer", formatScalar(n.val)))
}

// Bool returns the value at keys as a boolean. Like Typesafe Config it
// accepts the strings true/false, yes/no and on/off.
func (c *Config) Bool(keys ...string) (bool, bool, error) {
	n, ok, err := c.scalar(keys, "a boolean")
	if !ok || err != nil {
		return false, ok, err
	}
	switch v := n.val.(type) {
	case bool:
		return v, true, nil
	case string:
		switch strings.TrimSpace(v) {
		case "true", "yes", "on":
			return true, true, nil
		case "false", "no", "off":
			return false, true, nil
		}
	}
	return false, true, c.typeError(n, keys, fmt.Sprintf("%q is not a boolean", formatScalar(n.val)))
}

// Duration returns the value at keys as a duration: a number with a unit,
// ns, us, ms, s, m, h, d or their long forms ("30 seconds", "5s",
// "1.5 hours"), or Go duration syntax ("1h30m"). A bare number is refused
// (ErrType): Typesafe Config would read it as milliseconds, so
// "timeout: 10" meant for seconds would silently be 10ms.
func (c *Config) Duration(keys ...string) (time.Duration, bool, error) {
	n, ok, err := c.scalar(keys, "a duration")
	if !ok || err != nil {
		return 0, ok, err
	}
	var d time.Duration
	switch v := n.val.(type) {
	case int64, float64:
		err = bareNumber(formatScalar(v))
	case string:
		d, err = parseDuration(v)
	default:
		err = fmt.Errorf("%v is not a duration", v)
	}
	if err != nil {
		return 0, true, c.typeError(n, keys, err.Error())
	}
	return d, true, nil
}

// UnknownKeys returns an *Error wrapping ErrUnknownKey for each key of the
// object at section that is not in known, in the order of the files and
// lines that set them. The reason names the known key it most likely
// misspells (see Suggest). A section that is not set, or not an object,
// has none. Callers decide whether an unknown key is an error or a
// warning: Trapperkeeper services ignore keys they do not read.
func (c *Config) UnknownKeys(known []string, section ...string) []*Error {
	n, ok := c.node(section)
	if !ok || n.obj == nil {
		return nil
	}
	var errs []*Error
	for _, k := range n.sortedKeys() {
		if slices.Contains(known, k) {
			continue
		}
		reason := "unknown setting"
		if s, ok := Suggest(k, known); ok {
			reason += "; did you mean " + renderPath([]string{s}) + "?"
		}
		child := n.obj[k]
		errs = append(errs, &Error{File: child.file, Line: child.line, Reason: reason, Err: ErrUnknownKey,
			Key: renderPath(slices.Concat(c.path, section, []string{k}))})
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	return errs
}
