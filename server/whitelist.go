package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Datatype is the type a whitelist entry expects.
type Datatype string

// The datatypes of PROTOCOL.md. DatatypeEvent marks an event name; the
// others are snapshot field types.
const (
	DatatypeEvent            Datatype = "event"
	DatatypeString           Datatype = "string"
	DatatypeNumber           Datatype = "number"
	DatatypeBoolean          Datatype = "boolean"
	DatatypeArrayString      Datatype = "array[string]"
	DatatypeArrayNumber      Datatype = "array[number]"
	DatatypeArrayBoolean     Datatype = "array[boolean]"
	DatatypeObjectStrNumber  Datatype = "object[string-number]"
	DatatypeObjectStrString  Datatype = "object[string-string]"
	DatatypeObjectStrBoolean Datatype = "object[string-boolean]"
)

// Valid reports whether d is one of the known datatypes.
func (d Datatype) Valid() bool {
	switch d {
	case DatatypeEvent, DatatypeString, DatatypeNumber, DatatypeBoolean,
		DatatypeArrayString, DatatypeArrayNumber, DatatypeArrayBoolean,
		DatatypeObjectStrNumber, DatatypeObjectStrString, DatatypeObjectStrBoolean:
		return true
	}
	return false
}

// WhitelistEntry is what the whitelist says about one name.
type WhitelistEntry struct {
	Datatype    Datatype `json:"datatype"`
	Description string   `json:"description,omitempty"`
}

// Whitelist maps event names and snapshot field names to what they must be.
// A nil Whitelist accepts everything.
type Whitelist map[string]WhitelistEntry

// Reasons given in "rejected" maps.
const (
	ReasonNotExpectedField = "Not an expected field"
	ReasonNotExpectedEvent = "Not an expected event"
)

// reasonExpected is the reason for a value whose type is not the listed one.
func reasonExpected(d Datatype) string { return "Expected a value of type " + string(d) }

// WhitelistError reports a whitelist that cannot be used, naming where it
// came from (a file or URL) and why.
type WhitelistError struct {
	Source string
	Reason string
	Err    error
}

func (e *WhitelistError) Error() string {
	return "server: whitelist " + e.Source + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *WhitelistError) Unwrap() error { return e.Err }

// ParseWhitelist decodes a JSON whitelist and checks every datatype. source
// names the data in errors.
func ParseWhitelist(source string, data []byte) (Whitelist, error) {
	var wl Whitelist
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&wl); err != nil {
		return nil, &WhitelistError{Source: source, Reason: "not a JSON object of {\"datatype\",\"description\"}: " + err.Error(), Err: err}
	}
	if wl == nil {
		return nil, &WhitelistError{Source: source, Reason: "is null"}
	}
	if err := wl.Validate(); err != nil {
		return nil, &WhitelistError{Source: source, Reason: err.Error(), Err: err}
	}
	return wl, nil
}

// Validate reports the first entry with an empty name or unknown datatype.
func (wl Whitelist) Validate() error {
	for name, e := range wl {
		if name == "" {
			return fmt.Errorf("empty name")
		}
		if !e.Datatype.Valid() {
			return fmt.Errorf("%q: unknown datatype %q", name, e.Datatype)
		}
	}
	return nil
}

// clone copies wl so that the caller's later changes do not reach the
// server.
func (wl Whitelist) clone() Whitelist {
	out := make(Whitelist, len(wl))
	for k, v := range wl {
		out[k] = v
	}
	return out
}

// LoadWhitelistFile reads and parses a JSON whitelist file.
func LoadWhitelistFile(path string) (Whitelist, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &WhitelistError{Source: path, Reason: "cannot be read", Err: err}
	}
	return ParseWhitelist(path, data)
}

// FetchWhitelist gets the whitelist from GET {updateServerURL}/whitelist.
func FetchWhitelist(ctx context.Context, client *http.Client, updateServerURL string) (Whitelist, error) {
	u := strings.TrimRight(updateServerURL, "/") + "/whitelist"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &WhitelistError{Source: u, Reason: "bad URL", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, &WhitelistError{Source: u, Reason: "unreachable", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &WhitelistError{Source: u, Reason: "reading the answer", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &WhitelistError{Source: u, Reason: "answered " + resp.Status}
	}
	return ParseWhitelist(u, data)
}
