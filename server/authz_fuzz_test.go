package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/analytics-client/analytics/server/authz"
)

// FuzzDefaultRulesNeverLetAgentsIn sends arbitrary paths through the same
// steps as ServeHTTP (cleanPath, prefix, the default rules, the router) as
// an agent that is not an operator: whatever the path, what the rules let
// through must be a client endpoint's path, and no operator endpoint may
// be reached.
func FuzzDefaultRulesNeverLetAgentsIn(f *testing.F) {
	for _, s := range []string{"/analytics", "/analytics/", "/analytics/collections/events", "/analytics/commands/event/",
		"/analytics//collections/events", "/analytics/commands/%2e%2e/collections/events", "/analytics/collections%2fevents",
		"/analytics/commands/event/../../collections/events", "/ANALYTICS/status", "/analytics/status?x=/analytics",
		"/analytics/commands/event%00", "/analytics/view/live/", "/analytics/./status"} {
		f.Add(s)
	}
	a, err := authz.Compile(DefaultRules(DefaultPrefix, "puppet.example.com"))
	if err != nil {
		f.Fatal(err)
	}
	clientPaths := map[string]bool{}
	for _, e := range endpoints {
		if e.access == clientAccess {
			clientPaths[DefaultPrefix+e.path] = true
		}
	}
	agent := authz.Identity{Certname: "agent.example.com", Authenticated: true}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := httptest.NewRequest(method, "/", nil)
			r.URL = u
			path, ok := cleanPath(r)
			if !ok {
				continue
			}
			rest, ok := trimPrefix(path, DefaultPrefix)
			if !ok {
				continue
			}
			if !a.Decide(r, path, agent).Allowed {
				continue
			}
			if !clientPaths[path] {
				t.Fatalf("%s %q (path %q) allowed to an agent", method, target, path)
			}
			if e, ok := routes[route{method, rest}]; ok && e.access == operatorAccess {
				t.Fatalf("%s %q reaches an operator endpoint", method, target)
			}
		}
	})
}
