package authz_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/analytics-client/analytics/server/authz"
)

// Compile the rules once; then Decide each request for the client's
// identity (authz.Identify reads it from the request's TLS state).
func ExampleCompile() {
	a, err := authz.Compile([]authz.Rule{
		{Name: "agents read their own node", SortOrder: 100, Type: authz.PathRegex,
			Path: "^/nodes/([^/]+)$", Methods: []string{"get"}, Allow: []string{"$1"}},
		{Name: "deny the rest", SortOrder: 999, Type: authz.PathPrefix, Path: "/", Deny: []string{"*"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/nodes/agent1.example.com", nil)
	for _, who := range []string{"agent1.example.com", "agent2.example.com"} {
		id := authz.Identity{Certname: who, Authenticated: true}
		d := a.Decide(r, r.URL.Path, id)
		fmt.Println(who, d.Allowed, d.RuleName())
	}
	fmt.Println(a.Decide(r, r.URL.Path, authz.Identify(r)).Message(authz.Identify(r)))
	// Output:
	// agent1.example.com true agents read their own node
	// agent2.example.com false agents read their own node
	// Forbidden request: rule "agents read their own node" does not allow unauthenticated
}
