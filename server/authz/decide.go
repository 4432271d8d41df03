package authz

import (
	"net/http"
	"net/url"
)

// NoRuleMatched names the decision when no rule fits a request.
const NoRuleMatched = "no rule matched"

// Decision is the outcome of authorizing one request: allowed or not, and
// the name of the rule that decided ("" when none fits).
type Decision struct {
	Allowed bool
	Rule    string
}

// RuleName names the deciding rule in messages: Rule, or NoRuleMatched.
func (d Decision) RuleName() string {
	if d.Rule == "" {
		return NoRuleMatched
	}
	return d.Rule
}

// Decide applies the first rule that fits the request to id. path is the
// request path the rules see; the caller has refused paths that could mean
// something else to a rule than to its router (an encoded slash, a dot
// segment).
func (a *Authorizer) Decide(r *http.Request, path string, id Identity) Decision {
	var query url.Values
	queryOnce := func() map[string][]string {
		if query == nil {
			query = r.URL.Query()
		}
		return query
	}
	for _, c := range a.rules {
		captures, ok := c.matches(r.Method, path, queryOnce)
		if !ok {
			continue
		}
		return Decision{Allowed: c.permits(id, captures), Rule: c.Name}
	}
	return Decision{}
}

// permits reports whether the rule lets id through: allow-unauthenticated
// lets everyone; otherwise an authenticated name that no deny entry and
// some allow entry matches.
func (c *compiledRule) permits(id Identity, captures []string) bool {
	if c.AllowUnauthenticated {
		return true
	}
	if !id.Authenticated || anyMatch(c.deny, id.Certname, captures) {
		return false
	}
	return anyMatch(c.allow, id.Certname, captures)
}

// Message words a refusal for the client: which rule refused whom.
func (d Decision) Message(id Identity) string {
	if d.Rule == "" {
		return "Forbidden request: no rule matched the request of " + id.String()
	}
	return "Forbidden request: rule \"" + d.Rule + "\" does not allow " + id.String()
}
