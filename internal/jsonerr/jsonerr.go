// Package jsonerr words encoding/json's decoding errors for people: where
// the JSON is wrong and what was expected, in JSON's terms (object, array,
// string, number, boolean), never Go's type names.
package jsonerr

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
)

// Describe returns err's message in JSON's terms:
//
//	must be a JSON object, not an array
//	"event" must be a string, not a number
//	unknown field "extra"
//
// Errors that are not about JSON keep their message.
func Describe(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		got, _, _ := strings.Cut(te.Value, " ") // "number 1.5" → number
		want := kind(te.Type)
		if te.Field == "" {
			return "must be " + article(want) + ", not " + article(jsonName(got))
		}
		return `"` + te.Field + `" must be ` + article(want) + ", not " + article(jsonName(got))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// kind names the JSON type that decodes into t.
func kind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Interface:
		return "value"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return "integer"
}

// jsonName turns encoding/json's word for a value ("bool") into JSON's.
func jsonName(v string) string {
	if v == "bool" {
		return "boolean"
	}
	return v
}

func article(kind string) string {
	switch kind {
	case "object", "array", "integer":
		return "an " + kind
	case "value":
		return "a JSON value"
	}
	if kind == "string" || kind == "number" || kind == "boolean" {
		return "a " + kind
	}
	return kind
}
