package server

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkAuthorize measures one authorization decision under the
// default rules and under a longer rule set with a back-reference, for
// the most frequent request (an event) and a refused one.
func BenchmarkAuthorize(b *testing.B) {
	stock := append([]Rule{
		{Name: "nodes", SortOrder: 100, Type: PathRegex, Path: "^/analytics/collections/([^/]+)$", Allow: []string{"$1-reader"}},
		{Name: "entry", SortOrder: 200, Type: PathRegex, Path: "^/analytics/?$", AllowUnauthenticated: true},
		{Name: "hosts", SortOrder: 300, Type: PathPrefix, Path: "/analytics/x", Allow: []string{"*.example.com", "/^web/"}},
	}, DefaultRules("/analytics", "puppet.example.com")...)
	sets := map[string][]Rule{"defaults": DefaultRules("/analytics", "puppet.example.com"), "stock": stock}
	reqs := map[string]string{"event": "/analytics/commands/event", "refused": "/analytics/collections/events"}
	id := identity{certname: "agent.example.com", authenticated: true}
	for setName, rules := range sets {
		a, err := compileRules(rules)
		if err != nil {
			b.Fatal(err)
		}
		for reqName, path := range reqs {
			b.Run(setName+"/"+reqName, func(b *testing.B) {
				r := httptest.NewRequest("POST", path, nil)
				b.ReportAllocs()
				for b.Loop() {
					a.decide(r, path, id)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
			})
		}
	}
}
