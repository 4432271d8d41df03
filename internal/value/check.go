package value

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// CheckEvent reports whether an event fits the value model: a non-empty
// name in valid UTF-8 and metadata (nil when there is none) made of allowed
// values. The error is an *Error naming the path ("event",
// "metadata.tags[2]").
func CheckEvent(name string, metadata map[string]any) error {
	_, err := EventSize(name, metadata)
	return err
}

// EventSize is CheckEvent that, in the same pass, estimates the event's
// encoded size.
func EventSize(name string, metadata map[string]any) (int64, error) {
	if name == "" {
		return 0, &Error{Path: "event", Reason: "name must not be empty"}
	}
	if err := checkText("event", name); err != nil {
		return 0, err
	}
	n := int64(len(name)) + 24
	if metadata == nil {
		return n, nil
	}
	m, err := FieldsSize("metadata", metadata)
	return n + m, err
}

// CheckSnapshot reports whether a snapshot's fields fit the value model;
// nil fields are missing ones. The error is an *Error naming the path
// ("fields", "fields.a.b").
func CheckSnapshot(fields map[string]any) error {
	if fields == nil {
		return &Error{Path: "fields", Reason: "is required"}
	}
	_, err := FieldsSize("fields", fields)
	return err
}

// FieldsSize checks the fields under path (as CheckSnapshot does) and, in
// the same pass, estimates their encoded size: exact for strings,
// approximate for the rest, enough to bound a queue in memory.
func FieldsSize(path string, f map[string]any) (int64, error) {
	n := int64(2)
	for k, v := range f {
		if err := checkKey(path, k); err != nil {
			return 0, err
		}
		n += int64(len(k)) + 4
		if size, ok := plainScalar(v); ok {
			n += size
			continue // the common case, checked without building a path
		}
		if err := checkValue(path+"."+k, v, levelTop); err != nil {
			return 0, err
		}
		n += estimate(v)
	}
	return n, nil
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

// plainScalar reports the scalars that are valid as they are, so checking
// them needs no path string, with their approximate encoded size.
func plainScalar(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		return int64(len(x)) + 2, validText(x)
	case bool, int, int64, int32, uint, uint64, uint32:
		return 8, true
	case float64:
		return 16, finite(x)
	case json.Number:
		return int64(len(x)), isNumber(string(x)) && numberFinite(string(x))
	}
	return 0, false
}

// checkValue checks v at path. The common concrete types are handled
// without reflection; anything else falls back to reflect by kind, so named
// types (type Status string) and unusual element types ([]uint16) work too.
func checkValue(path string, v any, lv level) error {
	switch x := v.(type) {
	case nil:
		return &Error{Path: path, Reason: "value is nil; the value model has no null"}
	case string:
		return checkText(path, x)
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return nil
	case float64:
		return checkFloat(path, x)
	case float32:
		return checkFloat(path, float64(x))
	case json.Number:
		return checkNumber(path, string(x))
	case []int, []int64, []bool:
		if err := listAllowed(path, lv); err != nil {
			return err
		}
		if reflect.ValueOf(x).IsNil() {
			return nilContainer(path, "list")
		}
		return nil
	case []string:
		return checkStringList(path, x, lv)
	case []float64:
		return checkFloatList(path, x, lv)
	case []any:
		return checkAnyList(path, x, lv)
	case map[string]string:
		return checkStringMap(path, x, lv)
	case map[string]any:
		return checkAnyMap(path, x, lv)
	}
	return checkReflect(path, reflect.ValueOf(v), lv)
}

func checkStringList(path string, x []string, lv level) error {
	if err := listAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "list")
	}
	for i, s := range x {
		if !validText(s) {
			return checkText(indexPath(path, i), s)
		}
	}
	return nil
}

func checkFloatList(path string, x []float64, lv level) error {
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
}

func checkAnyList(path string, x []any, lv level) error {
	if err := listAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "list")
	}
	for i, item := range x {
		if err := checkValue(indexPath(path, i), item, levelInList); err != nil {
			return err
		}
	}
	return nil
}

func checkStringMap(path string, x map[string]string, lv level) error {
	if err := mapAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "map")
	}
	for k, s := range x {
		if err := checkKey(path, k); err != nil {
			return err
		}
		if !validText(s) {
			return checkText(path+"."+k, s)
		}
	}
	return nil
}

func checkAnyMap(path string, x map[string]any, lv level) error {
	if err := mapAllowed(path, lv); err != nil {
		return err
	}
	if x == nil {
		return nilContainer(path, "map")
	}
	inner := innerLevel(lv)
	for k, item := range x {
		if err := checkKey(path, k); err != nil {
			return err
		}
		if err := checkValue(path+"."+k, item, inner); err != nil {
			return err
		}
	}
	return nil
}

// innerLevel is the level of the values of a map at lv.
func innerLevel(lv level) level {
	if lv == levelInList {
		return levelInListMap
	}
	return levelInMap
}

func listAllowed(path string, lv level) error {
	switch lv {
	case levelTop:
		return nil
	case levelInList:
		return &Error{Path: path, Reason: "too deep: a list may not contain a list"}
	default:
		return &Error{Path: path, Reason: "too deep: a map may not contain a list"}
	}
}

func mapAllowed(path string, lv level) error {
	switch lv {
	case levelTop, levelInList:
		return nil
	default:
		return &Error{Path: path, Reason: "too deep: a map may not contain a map"}
	}
}

func nilContainer(path, what string) error {
	return &Error{Path: path, Reason: "nil " + what + " would be sent as null; use an empty " + what}
}

func indexPath(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}
