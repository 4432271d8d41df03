package server

import (
	"net/http/httptest"
	"testing"

	"github.com/analytics-client/analytics/server/authz"
)

// BenchmarkAuthorize measures one authorization decision under the
// default rules and under a longer rule set with a back-reference, for
// the most frequent request (an event) and a refused one.
func BenchmarkAuthorize(b *testing.B) {
	stock := append([]authz.Rule{
		{Name: "nodes", SortOrder: 100, Type: authz.PathRegex, Path: "^/analytics/collections/([^/]+)$", Allow: []string{"$1-reader"}},
		{Name: "entry", SortOrder: 200, Type: authz.PathRegex, Path: "^/analytics/?$", AllowUnauthenticated: true},
		{Name: "hosts", SortOrder: 300, Type: authz.PathPrefix, Path: "/analytics/x", Allow: []string{"*.example.com", "/^web/"}},
	}, DefaultRules("/analytics", "puppet.example.com")...)
	sets := map[string][]authz.Rule{"defaults": DefaultRules("/analytics", "puppet.example.com"), "stock": stock}
	reqs := map[string]string{"event": "/analytics/commands/event", "refused": "/analytics/collections/events"}
	id := authz.Identity{Certname: "agent.example.com", Authenticated: true}
	for setName, rules := range sets {
		a, err := authz.Compile(rules)
		if err != nil {
			b.Fatal(err)
		}
		for reqName, path := range reqs {
			b.Run(setName+"/"+reqName, func(b *testing.B) {
				r := httptest.NewRequest("POST", path, nil)
				b.ReportAllocs()
				for b.Loop() {
					a.Decide(r, path, id)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
			})
		}
	}
}
