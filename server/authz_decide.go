package server

import (
	"log/slog"
	"net/http"
	"net/url"
)

// noRuleMatched names the decision when no rule fits a request.
const noRuleMatched = "no rule matched"

// decision is the outcome of authorizing one request: allowed or not, and
// the rule that decided ("" when none fits).
type decision struct {
	allowed bool
	rule    string
}

// ruleName names the deciding rule in messages.
func (d decision) ruleName() string {
	if d.rule == "" {
		return noRuleMatched
	}
	return d.rule
}

// decide applies the first rule that fits the request path (already
// checked by cleanPath) to id.
func (a *authorizer) decide(r *http.Request, path string, id identity) decision {
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
		return decision{allowed: c.permits(id, captures), rule: c.Name}
	}
	return decision{}
}

// permits reports whether the rule lets id through: allow-unauthenticated
// lets everyone; otherwise an authenticated name that no deny entry and
// some allow entry matches.
func (c *compiledRule) permits(id identity, captures []string) bool {
	if c.AllowUnauthenticated {
		return true
	}
	if !id.authenticated || anyMatch(c.deny, id.certname, captures) {
		return false
	}
	return anyMatch(c.allow, id.certname, captures)
}

// forbidden answers a refused request with 403 naming the rule and the
// certname, and logs it once per (certname, rule) per interval.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, id identity, d decision) {
	rule := d.ruleName()
	closeUnread(w, r)
	s.refusals.Log(r.Context(), slog.LevelWarn, id.String()+"\x00"+rule, "request refused",
		"certname", id.String(), "rule", rule, "method", r.Method, "path", loggedPath(r),
		"remote", r.RemoteAddr, "request-id", requestID(w))
	s.writeError(w, &apiError{Status: http.StatusForbidden, Kind: KindForbidden,
		Msg:     forbiddenMsg(id, d),
		Details: map[string]string{"rule": rule, "certname": id.String()}})
}

func forbiddenMsg(id identity, d decision) string {
	if d.rule == "" {
		return "Forbidden request: no rule matched the request of " + id.String()
	}
	return "Forbidden request: rule \"" + d.rule + "\" does not allow " + id.String()
}
