package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/jsonerr"
	"github.com/analytics-client/analytics/internal/value"
)

// parseFields reads KEY=VALUE (a string) and KEY:=JSON (any JSON value)
// arguments into fields.
func parseFields(args []string) (analytics.Fields, error) {
	fields := make(analytics.Fields, len(args))
	for _, arg := range args {
		key, raw, isJSON, err := splitPair(arg)
		if err != nil {
			return nil, err
		}
		if _, dup := fields[key]; dup {
			return nil, usageErrorf("analytics: key %q is given twice", key)
		}
		if !isJSON {
			fields[key] = raw
			continue
		}
		v, err := decodeValue(raw)
		if err != nil {
			return nil, usageErrorf("analytics: %s: %v (for a string, write %s=VALUE)", arg, err, key)
		}
		fields[key] = v
	}
	return fields, nil
}

// splitPair splits KEY=VALUE or KEY:=JSON at the first '='.
func splitPair(arg string) (key, value string, isJSON bool, err error) {
	key, value, ok := strings.Cut(arg, "=")
	if !ok {
		return "", "", false, usageErrorf("analytics: %q is not KEY=VALUE or KEY:=JSON", arg)
	}
	key, isJSON = strings.CutSuffix(key, ":")
	if key == "" {
		return "", "", false, usageErrorf("analytics: %q has an empty key", arg)
	}
	return key, value, isJSON, nil
}

// decodeValue decodes exactly one JSON value, keeping numbers as written.
func decodeValue(raw string) (any, error) {
	var v any
	if err := decodeStrict([]byte(raw), &v, false); err != nil {
		return nil, err
	}
	return v, nil
}

// decodeStrict decodes one JSON value from data into v with numbers as
// json.Number, and fails on anything after it. strict also refuses object
// keys that v has no field for. As the service does, it refuses repeated
// keys, invalid UTF-8 and lone surrogate escapes, which encoding/json
// would silently drop or turn into U+FFFD.
func decodeStrict(data []byte, v any, strict bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("no JSON value")
		}
		return errors.New("invalid JSON: " + jsonerr.Describe(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("invalid JSON: more data after the value")
	}
	if _, err := value.Decode(data); err != nil {
		return errors.New("invalid JSON: " + err.Error())
	}
	return nil
}

// wireEvent and wireSnapshot are the payloads of --json, in their wire
// shapes.
type wireEvent struct {
	Event    *string          `json:"event"`
	Metadata analytics.Fields `json:"metadata"`
}

type wireSnapshot struct {
	Fields analytics.Fields `json:"fields"`
	// Timestamp is accepted, as the service accepts it, and not sent: the
	// service stamps what it receives.
	Timestamp json.RawMessage `json:"timestamp"`
}

// readPayload decodes the --json file (- for stdin) into v.
func (c *cli) readPayload(path string, v any) error {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(c.Stdin)
		path = "standard input"
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return usageErrorf("analytics: --json %s: %v", path, err)
	}
	if err := decodeStrict(data, v, true); err != nil {
		return usageErrorf("analytics: --json %s: %v", path, err)
	}
	return nil
}
