package analytics

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// Fields maps namespaced keys ("puppetserver.jruby.instances") to values.
//
// A value is one of:
//   - a scalar: string, bool, any integer or floating-point kind, or json.Number;
//   - a map from string keys to scalars (map[string]string, map[string]any, ...);
//   - a list whose items are scalars or maps from string keys to scalars
//     ([]string, []int, []map[string]string, []any, ...).
//
// Nothing deeper is allowed, and nil, NaN and ±Inf are rejected, because the
// service's value model (and JSON) cannot carry them.
type Fields map[string]any

// Snapshot is the state of a system at a time: a flat map of namespaced fields.
type Snapshot struct {
	Fields Fields `json:"fields"`
}

// Event is one discrete, named occurrence with optional metadata.
type Event struct {
	Name     string `json:"event"`
	Metadata Fields `json:"metadata,omitempty"`
}

// Validate reports whether s fits the service's value model. The error is a
// *ValidationError naming the offending path, such as
// "fields.puppetserver.metric4.x".
func (s Snapshot) Validate() error {
	if s.Fields == nil {
		return &ValidationError{Path: "fields", Reason: "is required"}
	}
	return validateFields("fields", s.Fields)
}

// Validate reports whether e fits the service's value model: a non-empty
// name, and metadata (when present) made of allowed values.
func (e Event) Validate() error {
	if e.Name == "" {
		return &ValidationError{Path: "event", Reason: "name must not be empty"}
	}
	if e.Metadata == nil {
		return nil
	}
	return validateFields("metadata", e.Metadata)
}

// MarshalJSON encodes the event in the wire shape
// {"event":NAME,"metadata":{...}}, omitting metadata when it is nil.
func (e Event) MarshalJSON() ([]byte, error) {
	if e.Metadata == nil {
		return json.Marshal(struct {
			Name string `json:"event"`
		}{e.Name})
	}
	// An empty, non-nil map is sent as {} rather than dropped.
	return json.Marshal(struct {
		Name     string `json:"event"`
		Metadata Fields `json:"metadata"`
	}{e.Name, e.Metadata})
}

// level says where in the value model a value sits, which decides what it
// may contain.
type level uint8

const (
	levelTop       level = iota // directly under a field key
	levelInMap                  // inside a map: scalars only
	levelInList                 // inside a list: scalars or maps of scalars
	levelInListMap              // inside a map that is inside a list: scalars only
)

func validateFields(path string, f Fields) error {
	_, err := validateFieldsSize(path, f)
	return err
}

// validateFieldsSize validates f and, in the same pass, estimates its
// encoded size (exact for strings, approximate for the rest), which a
// memory-mode Reporter uses to bound its queue.
func validateFieldsSize(path string, f Fields) (int64, error) {
	n := int64(2)
	for k, v := range f {
		if k == "" {
			return 0, &ValidationError{Path: path, Reason: "key must not be empty"}
		}
		n += int64(len(k)) + 4
		if size, ok := plainScalar(v); ok {
			n += size
			continue // the common case, checked without building a path
		}
		if err := validateValue(path+"."+k, v, levelTop); err != nil {
			return 0, err
		}
		n += estimateValue(v)
	}
	return n, nil
}

// plainScalar reports the scalars that are always valid, so validating them
// needs no path string, with their approximate encoded size.
func plainScalar(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		return int64(len(x)) + 2, true
	case bool, int, int64, int32, uint, uint64, uint32:
		return 8, true
	case float64:
		return 16, !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return 0, false
}

// validateValue checks v at path. The common concrete types are handled
// without reflection; anything else falls back to reflect by kind, so named
// types (type Status string) and unusual element types ([]uint16) work too.
func validateValue(path string, v any, lv level) error {
	switch x := v.(type) {
	case nil:
		return &ValidationError{Path: path, Reason: "value is nil; the value model has no null"}
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float64:
		return checkFloat(path, x)
	case float32:
		return checkFloat(path, float64(x))
	case json.Number:
		if !isJSONNumber(string(x)) {
			return &ValidationError{Path: path, Reason: "json.Number " + strconv.Quote(string(x)) + " is not a number"}
		}
		return nil
	case []string, []int, []int64, []bool:
		if err := listAllowed(path, lv); err != nil {
			return err
		}
		if reflect.ValueOf(x).IsNil() {
			return nilContainer(path, "list")
		}
		return nil
	case []float64:
		if err := listAllowed(path, lv); err != nil {
			return err
		}
		if x == nil {
			return nilContainer(path, "list")
		}
		for i, f := range x {
			if err := checkFloat(indexPath(path, i), f); err != nil {
				return err
			}
		}
		return nil
	case []any:
		return validateAnyList(path, x, lv)
	case map[string]string:
		if err := mapAllowed(path, lv); err != nil {
			return err
		}
		if x == nil {
			return nilContainer(path, "map")
		}
		for k := range x {
			if k == "" {
				return &ValidationError{Path: path, Reason: "key must not be empty"}
			}
		}
		return nil
	case map[string]any:
		return validateAnyMap(path, x, lv)
	case Fields:
		return validateAnyMap(path, x, lv)
	}
	return validateReflect(path, reflect.ValueOf(v), lv)
}

func validateAnyList(path string, x []any, lv level) error {
	if err := listAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "list")
	}
	for i, item := range x {
		if err := validateValue(indexPath(path, i), item, levelInList); err != nil {
			return err
		}
	}
	return nil
}

func validateAnyMap(path string, x map[string]any, lv level) error {
	if err := mapAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "map")
	}
	inner := levelInMap
	if lv == levelInList {
		inner = levelInListMap
	}
	for k, item := range x {
		if k == "" {
			return &ValidationError{Path: path, Reason: "key must not be empty"}
		}
		if err := validateValue(path+"."+k, item, inner); err != nil {
			return err
		}
	}
	return nil
}

func validateReflect(path string, rv reflect.Value, lv level) error {
	switch rv.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Float32, reflect.Float64:
		return checkFloat(path, rv.Float())
	case reflect.Slice, reflect.Array:
		if err := listAllowed(path, lv); err != nil {
			return err
		}
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nilContainer(path, "list")
		}
		if rv.Type().Elem().Kind() == reflect.Uint8 && rv.Kind() == reflect.Slice {
			return &ValidationError{Path: path, Reason: "[]byte is not a value; convert it to a string"}
		}
		for i := 0; i < rv.Len(); i++ {
			if err := validateValue(indexPath(path, i), rv.Index(i).Interface(), levelInList); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return &ValidationError{Path: path, Reason: "map keys must be strings, not " + rv.Type().Key().String()}
		}
		if err := mapAllowed(path, lv); err != nil {
			return err
		}
		if rv.IsNil() {
			return nilContainer(path, "map")
		}
		inner := levelInMap
		if lv == levelInList {
			inner = levelInListMap
		}
		iter := rv.MapRange()
		for iter.Next() {
			k := iter.Key().String()
			if k == "" {
				return &ValidationError{Path: path, Reason: "key must not be empty"}
			}
			if err := validateValue(path+"."+k, iter.Value().Interface(), inner); err != nil {
				return err
			}
		}
		return nil
	case reflect.Interface, reflect.Pointer:
		if rv.IsNil() {
			return &ValidationError{Path: path, Reason: "value is nil; the value model has no null"}
		}
	}
	return &ValidationError{Path: path, Reason: "unsupported type " + rv.Type().String()}
}

func listAllowed(path string, lv level) error {
	switch lv {
	case levelTop:
		return nil
	case levelInList:
		return &ValidationError{Path: path, Reason: "too deep: a list may not contain a list"}
	default:
		return &ValidationError{Path: path, Reason: "too deep: a map may not contain a list"}
	}
}

func mapAllowed(path string, lv level) error {
	switch lv {
	case levelTop, levelInList:
		return nil
	default:
		return &ValidationError{Path: path, Reason: "too deep: a map may not contain a map"}
	}
}

func nilContainer(path, what string) error {
	return &ValidationError{Path: path, Reason: "nil " + what + " would be sent as null; use an empty " + what}
}

func checkFloat(path string, f float64) error {
	if math.IsNaN(f) {
		return &ValidationError{Path: path, Reason: "NaN cannot be sent as JSON"}
	}
	if math.IsInf(f, 0) {
		return &ValidationError{Path: path, Reason: "infinity cannot be sent as JSON"}
	}
	return nil
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// isJSONNumber reports whether s is a number literal as JSON defines it.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
