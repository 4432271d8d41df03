// Package confcheck is what the client's and the service's configuration
// checks share, so that each exists once: the error both report
// (server.ConfigError is this type; analytics.ConfigError has its fields
// and its message) and the check of a configured URL (the client's url,
// the service's public-url and update-server-url).
package confcheck

import (
	"fmt"
	"net/url"
	"strconv"
)

// Error reports a configuration that cannot be used, naming the setting,
// the file involved (if any) and why.
type Error struct {
	Field  string // the setting, e.g. "ssl-opts.ssl-cert" or "PublicURL"
	File   string // the file involved, if any
	Reason string
	Err    error // the underlying error, if any
}

func (e *Error) Error() string {
	s := "analytics: config " + e.Field
	if e.File != "" {
		s += " (" + e.File + ")"
	}
	return s + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// URL parses raw, the value of field, and reports an *Error when it is not
// an absolute http or https URL with a host (and a port from 1 to 65535,
// if it has one).
func URL(field, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &Error{Field: field, Reason: fmt.Sprintf("cannot parse %q", raw), Err: unwrap(err)}
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "":
		return nil, &Error{Field: field, Reason: fmt.Sprintf("scheme %q is not http or https", u.Scheme)}
	case !u.IsAbs() || u.Host == "":
		return nil, &Error{Field: field, Reason: fmt.Sprintf("%q is not an absolute URL (want https://host:port/analytics)", raw)}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, &Error{Field: field, Reason: fmt.Sprintf("port %s of %q is not a port number (1 to 65535)", p, raw)}
		}
	}
	return u, nil
}

// unwrap drops the *url.Error around a parse failure, which repeats the
// URL that the message names already.
func unwrap(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
