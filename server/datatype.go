package server

import "encoding/json"

// matches reports whether v, a value decoded with json.Decoder.UseNumber,
// has datatype d. DatatypeEvent matches no field value.
func (d Datatype) matches(v any) bool {
	switch d {
	case DatatypeString:
		return isString(v)
	case DatatypeNumber:
		return isNumber(v)
	case DatatypeBoolean:
		return isBool(v)
	case DatatypeArrayString:
		return allOfList(v, isString)
	case DatatypeArrayNumber:
		return allOfList(v, isNumber)
	case DatatypeArrayBoolean:
		return allOfList(v, isBool)
	case DatatypeObjectStrNumber:
		return allOfMap(v, isNumber)
	case DatatypeObjectStrString:
		return allOfMap(v, isString)
	case DatatypeObjectStrBoolean:
		return allOfMap(v, isBool)
	}
	return false
}

func isString(v any) bool { _, ok := v.(string); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }

func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64:
		return true
	}
	return false
}

func allOfList(v any, ok func(any) bool) bool {
	list, isList := v.([]any)
	if !isList {
		return false
	}
	for _, item := range list {
		if !ok(item) {
			return false
		}
	}
	return true
}

func allOfMap(v any, ok func(any) bool) bool {
	m, isMap := v.(map[string]any)
	if !isMap {
		return false
	}
	for _, item := range m {
		if !ok(item) {
			return false
		}
	}
	return true
}

// checkEvent returns the rejection reason for an event name, or "" when wl
// accepts it. A nil whitelist accepts everything.
func (wl Whitelist) checkEvent(name string) string {
	if wl == nil {
		return ""
	}
	e, ok := wl[name]
	switch {
	case !ok:
		return ReasonNotExpectedEvent
	case e.Datatype != DatatypeEvent:
		return reasonExpected(e.Datatype)
	}
	return ""
}

// checkField returns the rejection reason for a snapshot field, or "" when
// wl accepts it.
func (wl Whitelist) checkField(name string, v any) string {
	if wl == nil {
		return ""
	}
	e, ok := wl[name]
	switch {
	case !ok:
		return ReasonNotExpectedField
	case !e.Datatype.matches(v):
		return reasonExpected(e.Datatype)
	}
	return ""
}
