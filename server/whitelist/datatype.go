package whitelist

import "encoding/json"

// Matches reports whether v, a value decoded with json.Decoder.UseNumber,
// has datatype d. DatatypeEvent matches no field value.
func (d Datatype) Matches(v any) bool {
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

// CheckEvent returns the rejection reason for an event name, or "" when wl
// accepts it. A nil List accepts everything.
func (wl List) CheckEvent(name string) string {
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

// CheckField returns the rejection reason for a snapshot field value (as
// decoded with json.Decoder.UseNumber), or "" when wl accepts it.
func (wl List) CheckField(name string, v any) string {
	if wl == nil {
		return ""
	}
	e, ok := wl[name]
	switch {
	case !ok:
		return ReasonNotExpectedField
	case !e.Datatype.Matches(v):
		return reasonExpected(e.Datatype)
	}
	return ""
}
