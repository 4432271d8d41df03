// Package authz decides who may call what: authorization rules in the
// trapperkeeper-authorization (auth.conf, version 1) format, compiled once
// into an [Authorizer] that decides each request from its path, method,
// query and the client's [Identity] (the verified TLS client certificate's
// CN).
//
// The service core compiles the configured rules (or its default ones) at
// start and asks for a [Decision] per request; writing the 403 and logging
// the refusal are the core's. An Authorizer is never modified after
// Compile, so any number of goroutines may call Decide at once.
package authz

import (
	"cmp"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// PathType says how a Rule's Path is matched against the request path, as
// trapperkeeper-authorization's match-request.type.
type PathType string

// The path match types.
const (
	// PathPrefix matches a request path that starts with Path.
	PathPrefix PathType = "path"
	// PathRegex matches a request path in which the regular expression
	// Path finds a match (unanchored: write ^ and $ to anchor it). Its
	// capture groups can be named in Allow and Deny as $1, $2, ...
	PathRegex PathType = "regex"
)

// Rule is one authorization rule in the trapperkeeper-authorization
// (auth.conf, version 1) format. Rules are tried in order of SortOrder,
// then Name; the first whose request match fits the request decides. A
// request no rule fits is refused.
//
// Allow and Deny entries are certnames ("agent.example.com"), "*" (any
// authenticated client), globs of the leftmost labels ("*.example.com"),
// regular expressions between slashes ("/^web\d+$/") or back-references to
// the capture groups of a PathRegex path ("$1"). Within the deciding rule a
// matching Deny entry beats a matching Allow entry, and a client that
// matches neither is refused.
type Rule struct {
	// Name identifies the rule in errors, logs and 403 answers; it must
	// be unique.
	Name string
	// SortOrder orders the rules, 1 to 999.
	SortOrder int
	// Path is matched against the full request path, prefix included,
	// as Type says.
	Path string
	// Type is PathPrefix or PathRegex.
	Type PathType
	// Methods the rule matches (get, post, put, delete, head; any case).
	// Empty matches every method.
	Methods []string
	// QueryParams, when set, requires each key in the query string with
	// at least one of the listed values.
	QueryParams map[string][]string
	// Allow and Deny list who may and may not call the matched requests.
	Allow, Deny []string
	// AllowUnauthenticated lets every request through, with or without a
	// client certificate. It excludes Allow and Deny.
	AllowUnauthenticated bool
	// Source is where the rule was written (e.g. "auth.conf:12"), for
	// messages; it may be empty.
	Source string
}

// RuleError reports a Rule the service cannot use, naming it and where it
// was written.
type RuleError struct {
	Rule   string // the rule's name, or its position when it has none
	Source string // Rule.Source
	Reason string
	Err    error // the problem; a regexp error is in its chain
}

func (e *RuleError) Error() string {
	s := "server: authorization rule " + e.Rule
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *RuleError) Unwrap() error { return e.Err }

// ruleMethods are the methods trapperkeeper-authorization accepts.
var ruleMethods = map[string]string{"get": http.MethodGet, "post": http.MethodPost,
	"put": http.MethodPut, "delete": http.MethodDelete, "head": http.MethodHead}

// compiledRule is a Rule ready to match requests.
type compiledRule struct {
	Rule
	re      *regexp.Regexp // PathRegex
	methods []string       // upper case; nil: any
	allow   []ace
	deny    []ace
}

// Authorizer decides requests with a sorted rule set. It is immutable:
// Decide may be called from any number of goroutines at once.
type Authorizer struct{ rules []*compiledRule }

// Compile checks rules and sorts them; the first problem is returned as a
// *RuleError.
func Compile(rules []Rule) (*Authorizer, error) {
	out := make([]*compiledRule, 0, len(rules))
	names := make(map[string]string, len(rules))
	for i, r := range rules {
		label := strconv.Quote(r.Name)
		if r.Name == "" {
			label = "#" + strconv.Itoa(i+1)
		}
		c, err := compileRule(r)
		if err != nil {
			return nil, &RuleError{Rule: label, Source: r.Source, Reason: err.Error(), Err: err}
		}
		if prev, dup := names[r.Name]; dup {
			return nil, &RuleError{Rule: label, Source: r.Source, Reason: "name is used by another rule too" + at(prev)}
		}
		names[r.Name] = r.Source
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *compiledRule) int {
		return cmp.Or(cmp.Compare(a.SortOrder, b.SortOrder), strings.Compare(a.Name, b.Name))
	})
	return &Authorizer{rules: out}, nil
}

func at(source string) string {
	if source == "" {
		return ""
	}
	return " (" + source + ")"
}

// compileRule checks one rule.
func compileRule(r Rule) (*compiledRule, error) {
	c := &compiledRule{Rule: r}
	switch {
	case r.Name == "":
		return nil, fmt.Errorf("name is required")
	case r.SortOrder < 1 || r.SortOrder > 999:
		return nil, fmt.Errorf("sort-order %d is not between 1 and 999", r.SortOrder)
	case r.Path == "":
		return nil, fmt.Errorf("match-request.path is required")
	case r.AllowUnauthenticated && (len(r.Allow) > 0 || len(r.Deny) > 0):
		return nil, fmt.Errorf("allow-unauthenticated cannot be combined with allow or deny")
	case !r.AllowUnauthenticated && len(r.Allow) == 0 && len(r.Deny) == 0:
		return nil, fmt.Errorf("one of allow, deny or allow-unauthenticated is required")
	}
	groups, err := c.compilePath()
	if err != nil {
		return nil, err
	}
	if err := c.compileMethods(); err != nil {
		return nil, err
	}
	if c.allow, err = compileACEs("allow", r.Allow, groups); err != nil {
		return nil, err
	}
	if c.deny, err = compileACEs("deny", r.Deny, groups); err != nil {
		return nil, err
	}
	return c, nil
}

// compilePath returns the number of capture groups of the path.
func (c *compiledRule) compilePath() (int, error) {
	switch c.Type {
	case PathPrefix:
		return 0, nil
	case PathRegex:
		re, err := regexp.Compile(c.Path)
		if err != nil {
			return 0, fmt.Errorf("match-request.path %q is not a regular expression: %w", c.Path, err)
		}
		c.re = re
		return re.NumSubexp(), nil
	case "":
		return 0, fmt.Errorf("match-request.type is required (path or regex)")
	}
	return 0, fmt.Errorf("match-request.type %q is not path or regex", c.Type)
}

func (c *compiledRule) compileMethods() error {
	for _, m := range c.Methods {
		up, ok := ruleMethods[strings.ToLower(m)]
		if !ok {
			return fmt.Errorf("match-request.method %q is not get, post, put, delete or head", m)
		}
		c.methods = append(c.methods, up)
	}
	return nil
}

// matches reports whether the rule fits the request, with the capture
// groups of a PathRegex path.
func (c *compiledRule) matches(method, path string, query func() map[string][]string) ([]string, bool) {
	if c.methods != nil && !slices.Contains(c.methods, method) {
		return nil, false
	}
	if len(c.QueryParams) > 0 && !queryMatches(c.QueryParams, query()) {
		return nil, false
	}
	if c.re == nil {
		return nil, strings.HasPrefix(path, c.Path)
	}
	m := c.re.FindStringSubmatch(path)
	if m == nil {
		return nil, false
	}
	return m, true
}

// queryMatches reports whether every key of want is in got with one of
// its values.
func queryMatches(want, got map[string][]string) bool {
	for k, vals := range want {
		if !slices.ContainsFunc(got[k], func(v string) bool { return slices.Contains(vals, v) }) {
			return false
		}
	}
	return true
}
