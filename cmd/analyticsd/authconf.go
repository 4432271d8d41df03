package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// keyAuthorization is the trapperkeeper-authorization section.
const keyAuthorization = "authorization"

// ruleKeys are the settings a rule may have.
var ruleKeys = []string{"match-request", "allow", "deny", "allow-unauthenticated", "sort-order", "name"}

// matchKeys are the settings of a rule's match-request.
var matchKeys = []string{"path", "type", "method", "query-params"}

// authorization reads the authorization section (version 1) into rules
// for the service. With no section the service applies its default
// rules. Each rule's Source is its file and line, so that the service's
// own checks name them too.
func (t tk) authorization(cfg *server.Config) error {
	v, ok := t.c.Get(keyAuthorization)
	if !ok || v == nil {
		return nil
	}
	sec, ok := v.(map[string]any)
	if !ok {
		return t.fail(keyAuthorization, "is not an object with version and rules", nil)
	}
	if err := t.authHeader(sec); err != nil {
		return err
	}
	list, ok := sec["rules"].([]any)
	if !ok {
		return t.fail(keyAuthorization+".rules", "is required: an array of rules", nil)
	}
	file, lines := t.c.ElementOrigins(keyAuthorization, "rules")
	if lines == nil {
		var line int
		file, line = t.c.Origin(keyAuthorization, "rules")
		lines = slices.Repeat([]int{line}, len(list))
	}
	cfg.Authorization = make([]authz.Rule, 0, len(list))
	for i, item := range list {
		src := file
		if lines[i] > 0 {
			src += ":" + strconv.Itoa(lines[i])
		}
		r, err := parseRule(item)
		if err != nil {
			return &keyError{File: file, Line: lines[i], Key: fmt.Sprintf("%s.rules[%d]%s", keyAuthorization, i, ruleLabel(item)), Reason: err.Error()}
		}
		r.Source = src
		cfg.Authorization = append(cfg.Authorization, r)
	}
	return nil
}

// authHeader checks version and allow-header-cert-info.
func (t tk) authHeader(sec map[string]any) error {
	for k := range sec {
		if k != "version" && k != "rules" && k != "allow-header-cert-info" {
			return t.fail(keyAuthorization+"."+k, "is not an authorization setting (version, rules, allow-header-cert-info)", nil)
		}
	}
	if n, ok := integer(sec["version"]); !ok || n != 1 {
		return t.fail(keyAuthorization+".version", fmt.Sprintf("must be 1, found %v", sec["version"]), nil)
	}
	if h, set := sec["allow-header-cert-info"]; set && h != false {
		return t.fail(keyAuthorization+".allow-header-cert-info", "true is not supported: the certname comes from the verified TLS client certificate only", nil)
	}
	return nil
}

// ruleLabel names a rule in errors by its name, when it has one.
func ruleLabel(item any) string {
	if m, ok := item.(map[string]any); ok {
		if name, ok := m["name"].(string); ok {
			return " " + strconv.Quote(name)
		}
	}
	return ""
}

// parseRule converts one rule of the configuration; the service checks
// what the values mean (see authz.Rule).
func parseRule(item any) (authz.Rule, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return authz.Rule{}, fmt.Errorf("is not an object")
	}
	if err := onlyKeys(m, ruleKeys, ""); err != nil {
		return authz.Rule{}, err
	}
	var r authz.Rule
	var err error
	if r.Name, err = optString(m, "name"); err != nil {
		return r, err
	}
	if so, set := m["sort-order"]; set {
		n, ok := integer(so)
		if !ok {
			return r, fmt.Errorf("sort-order %v is not an integer", so)
		}
		r.SortOrder = int(n)
	}
	if au, set := m["allow-unauthenticated"]; set {
		if r.AllowUnauthenticated, ok = au.(bool); !ok {
			return r, fmt.Errorf("allow-unauthenticated %v is not true or false", au)
		}
	}
	if r.Allow, err = aces(m, "allow"); err != nil {
		return r, err
	}
	if r.Deny, err = aces(m, "deny"); err != nil {
		return r, err
	}
	return r, parseMatch(m["match-request"], &r)
}

// parseMatch reads match-request into r.
func parseMatch(v any, r *authz.Rule) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("match-request is required: an object with path and type")
	}
	if err := onlyKeys(m, matchKeys, "match-request."); err != nil {
		return err
	}
	var err error
	if r.Path, err = optString(m, "path"); err != nil {
		return fmt.Errorf("match-request.%w", err)
	}
	typ, err := optString(m, "type")
	if err != nil {
		return fmt.Errorf("match-request.%w", err)
	}
	r.Type = authz.PathType(typ)
	if r.Methods, err = stringOrList(m["method"]); err != nil {
		return fmt.Errorf("match-request.method: %w", err)
	}
	return parseQueryParams(m["query-params"], r)
}

func parseQueryParams(v any, r *authz.Rule) error {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("match-request.query-params is not an object of parameter: value or [values]")
	}
	r.QueryParams = make(map[string][]string, len(m))
	for k, vals := range m {
		list, err := stringOrList(vals)
		if err != nil {
			return fmt.Errorf("match-request.query-params.%s: %w", k, err)
		}
		r.QueryParams[k] = list
	}
	return nil
}

// aces reads allow or deny: an entry or a list of entries, each a string
// or {certname: ...}.
func aces(m map[string]any, key string) ([]string, error) {
	v, set := m[key]
	if !set || v == nil {
		return nil, nil
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, err := ace(it)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, s)
	}
	return out, nil
}

func ace(v any) (string, error) {
	switch e := v.(type) {
	case string:
		return e, nil
	case map[string]any:
		if _, ok := e["extensions"]; ok {
			return "", fmt.Errorf("{extensions: ...} entries are not supported: allow or deny by certname")
		}
		name, ok := e["certname"].(string)
		if !ok || len(e) != 1 {
			return "", fmt.Errorf("an object entry must be {certname: NAME}")
		}
		return name, nil
	}
	return "", fmt.Errorf("%v is not a certname, a pattern or {certname: NAME}", v)
}

// stringOrList reads a string or a list of strings.
func stringOrList(v any) ([]string, error) {
	switch e := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{e}, nil
	case []any:
		out := make([]string, 0, len(e))
		for _, it := range e {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("%v is not a string", it)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not a string or a list of strings", v)
}

func optString(m map[string]any, key string) (string, error) {
	v, set := m[key]
	if !set || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s %v is not a string", key, v)
	}
	return s, nil
}

// onlyKeys refuses a key of m that is not in allowed.
func onlyKeys(m map[string]any, allowed []string, prefix string) error {
	for k := range m {
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("%s%s is not a setting here (%v)", prefix, k, allowed)
		}
	}
	return nil
}

// integer reads a whole number written as an integer or a float.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}
