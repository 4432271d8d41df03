package server

import (
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server/authz"
)

// judge compiles rules and decides one request for certname ("" for an
// unauthenticated client).
func judge(t *testing.T, rules []authz.Rule, method, target, certname string) authz.Decision {
	t.Helper()
	a, err := authz.Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(method, target, nil)
	return a.Decide(r, r.URL.Path, authz.Identity{Certname: certname, Authenticated: certname != ""})
}

// TestDefaultRulesCoverEveryEndpoint: each endpoint's path is matched by
// the default rule of its class, and by no other default rule first.
func TestDefaultRulesCoverEveryEndpoint(t *testing.T) {
	for _, e := range endpoints {
		want, name := RuleClients, "agent"
		if e.access == operatorAccess {
			want, name = RuleOperators, "ops"
		}
		d := judge(t, DefaultRules("/p", "ops"), e.method, "/p"+e.path, name)
		if !d.Allowed || d.Rule != want {
			t.Errorf("%s %s: allowed=%v by %q, want allowed by %q", e.method, e.path, d.Allowed, d.Rule, want)
		}
		if e.access == operatorAccess {
			if d := judge(t, DefaultRules("/p", "ops"), e.method, "/p"+e.path, "agent"); d.Allowed {
				t.Errorf("%s %s allowed to an agent", e.method, e.path)
			}
		}
	}
	if d := judge(t, DefaultRules("/p"), "GET", "/p/status", "anyone"); d.Allowed || d.Rule != RuleOperators {
		t.Errorf("no operators: %+v", d)
	}
}
