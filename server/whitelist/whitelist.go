// Package whitelist is the service's list of expected event names and
// snapshot fields (PROTOCOL.md, "Whitelist"): its JSON form, where it is read
// from (a file, the update server), how a name or value is checked against
// it, and the [Holder] that lets the service swap it while serving.
//
// It stands alone: the service core decides when a whitelist is loaded or
// replaced and asks this package only to parse, check and hold it.
package whitelist

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
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

// Entry is what the whitelist says about one name.
type Entry struct {
	Datatype    Datatype `json:"datatype"`
	Description string   `json:"description,omitempty"`
}

// List maps event names and snapshot field names to what they must be.
// A nil List accepts everything.
type List map[string]Entry

// Reasons given in "rejected" maps.
const (
	ReasonNotExpectedField = "Not an expected field"
	ReasonNotExpectedEvent = "Not an expected event"
)

// reasonExpected is the reason for a value whose type is not the listed one.
func reasonExpected(d Datatype) string { return "Expected a value of type " + string(d) }

// Error reports a whitelist that cannot be used, naming where it came from
// (a file or URL) and why.
type Error struct {
	Source string
	Reason string
	Err    error
}

func (e *Error) Error() string {
	return "server: whitelist " + e.Source + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Parse decodes a JSON whitelist and checks every datatype. source names
// the data in errors.
func Parse(source string, data []byte) (List, error) {
	var wl List
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&wl); err != nil {
		return nil, &Error{Source: source, Reason: "not a JSON object of {\"datatype\",\"description\"}: " + err.Error(), Err: err}
	}
	if wl == nil {
		return nil, &Error{Source: source, Reason: "is null"}
	}
	if err := wl.Validate(); err != nil {
		return nil, &Error{Source: source, Reason: err.Error(), Err: err}
	}
	return wl, nil
}

// Validate reports the first entry with an empty name or unknown datatype.
func (wl List) Validate() error {
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

// Clone copies wl, so that later changes to either do not reach the
// other. The clone of nil is an empty, non-nil List.
func (wl List) Clone() List {
	out := make(List, len(wl))
	for k, v := range wl {
		out[k] = v
	}
	return out
}

// LoadFile reads and parses a JSON whitelist file.
func LoadFile(path string) (List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Source: path, Reason: "cannot be read", Err: err}
	}
	return Parse(path, data)
}

// Fetch gets the whitelist from GET {updateServerURL}/whitelist.
func Fetch(ctx context.Context, client *http.Client, updateServerURL string) (List, error) {
	u := strings.TrimRight(updateServerURL, "/") + "/whitelist"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{Source: u, Reason: "bad URL", Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, &Error{Source: u, Reason: "unreachable", Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &Error{Source: u, Reason: "reading the answer", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Source: u, Reason: "answered " + resp.Status}
	}
	return Parse(u, data)
}

// Sources of the whitelist in force, as Holder.Source reports them.
const (
	FromUpstream = "upstream" // fetched at start or replaced by a check-in answer
	FromFile     = "file"     // the service's whitelist file
	FromConfig   = "config"   // given in the service's Config, or set by a program
	None         = "none"     // every event and field is accepted
)

// Holder holds the whitelist in force while the service serves, and where
// and when it came from.
//
// Concurrency: Set, Copy, Current and Source may be called from any
// goroutine at any time; no lock is taken (one atomic pointer to an
// immutable value, so a List and its source are always read together).
// Set installs a copy of its argument, so the List a Holder hands out by
// Current is never modified afterwards: a request that took it keeps
// judging with it while a later Set installs another. Callers must not
// modify what Current returns. The zero Holder holds no whitelist (nil:
// everything is accepted; source None).
type Holder struct{ p atomic.Pointer[installed] }

// installed is one whitelist set in a Holder.
type installed struct {
	list   List // nil: none
	source string
	at     time.Time
}

// Set replaces the whitelist with a copy of wl, which came from source at
// at; nil removes it (and the source is None).
func (h *Holder) Set(wl List, source string, at time.Time) {
	in := &installed{source: source, at: at}
	if wl == nil {
		in.source = None
	} else {
		in.list = wl.Clone()
	}
	h.p.Store(in)
}

// Current returns the whitelist in force without copying it, nil when
// there is none. It must not be modified.
func (h *Holder) Current() List {
	if in := h.p.Load(); in != nil {
		return in.list
	}
	return nil
}

// Copy returns a copy of the whitelist in force, nil when there is none.
func (h *Holder) Copy() List {
	if in := h.p.Load(); in != nil && in.list != nil {
		return in.list.Clone()
	}
	return nil
}

// Source says where the whitelist in force came from and when it was set
// (None, and the time it was removed, when there is none; None and the
// zero time before the first Set).
func (h *Holder) Source() (string, time.Time) {
	if in := h.p.Load(); in != nil {
		return in.source, in.at
	}
	return None, time.Time{}
}
