package authz_test

import (
	"errors"
	"net/http/httptest"
	"regexp/syntax"
	"strings"
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

func TestRuleSemantics(t *testing.T) {
	cases := []struct {
		name           string
		rules          []authz.Rule
		method, target string
		certname       string
		allowed        bool
		rule           string
	}{
		{"no rule matches", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/x", Allow: []string{"*"}}},
			"GET", "/y", "n1", false, ""},
		{"sort-order first", []authz.Rule{
			{Name: "a", SortOrder: 2, Type: authz.PathPrefix, Path: "/", Allow: []string{"*"}},
			{Name: "b", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Deny: []string{"*"}}},
			"GET", "/p", "n1", false, "b"},
		{"then name", []authz.Rule{
			{Name: "b", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Deny: []string{"*"}},
			{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"*"}}},
			"GET", "/p", "n1", true, "a"},
		{"deny beats allow", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/",
			Allow: []string{"*"}, Deny: []string{"bad.example.com"}}}, "GET", "/p", "bad.example.com", false, "a"},
		{"allow when deny does not match", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/",
			Allow: []string{"*"}, Deny: []string{"bad.example.com"}}}, "GET", "/p", "good.example.com", true, "a"},
		{"matching rule without a matching entry", []authz.Rule{
			{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"other"}},
			{Name: "b", SortOrder: 2, Type: authz.PathPrefix, Path: "/", Allow: []string{"*"}}},
			"GET", "/p", "n1", false, "a"},
		{"unauthenticated refused by allow *", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"*"}}},
			"GET", "/p", "", false, "a"},
		{"allow-unauthenticated", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", AllowUnauthenticated: true}},
			"GET", "/p", "", true, "a"},
		{"exact name ignores case", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"Agent.Example.com"}}},
			"GET", "/p", "agent.example.COM", true, "a"},
		{"exact name is not a suffix", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"example.com"}}},
			"GET", "/p", "agent.example.com", false, "a"},
		{"glob", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"*.example.com"}}},
			"GET", "/p", "agent.example.com", true, "a"},
		{"glob needs a label", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"*.example.com"}}},
			"GET", "/p", "badexample.com", false, "a"},
		{"regex entry", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{`/^web\d+\./`}}},
			"GET", "/p", "web12.example.com", true, "a"},
		{"back-reference", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathRegex, Path: "^/node/([^/]+)$", Allow: []string{"$1"}}},
			"GET", "/node/agent1", "agent1", true, "a"},
		{"back-reference other node", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathRegex, Path: "^/node/([^/]+)$", Allow: []string{"$1"}}},
			"GET", "/node/agent1", "agent2", false, "a"},
		{"back-reference is not a pattern", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathRegex, Path: "^/node/(.+)$", Allow: []string{"$1.example.com"}}},
			"GET", "/node/.*", "x.example.com", false, "a"},
		{"regex path is unanchored", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathRegex, Path: "/node", Allow: []string{"*"}}},
			"GET", "/x/node/y", "n1", true, "a"},
		{"path type is a prefix", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/analytics/commands", Allow: []string{"*"}}},
			"GET", "/analytics/commandsX", "n1", true, "a"},
		{"method list", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Methods: []string{"get", "PUT"}, Allow: []string{"*"}}},
			"PUT", "/p", "n1", true, "a"},
		{"method not listed", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Methods: []string{"get"}, Allow: []string{"*"}}},
			"POST", "/p", "n1", false, ""},
		{"query-params match", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/",
			QueryParams: map[string][]string{"env": {"prod", "test"}, "x": {"1"}}, Allow: []string{"*"}}},
			"GET", "/p?env=other&env=test&x=1&y=2", "n1", true, "a"},
		{"query-params missing key", []authz.Rule{{Name: "a", SortOrder: 1, Type: authz.PathPrefix, Path: "/",
			QueryParams: map[string][]string{"env": {"prod"}, "x": {"1"}}, Allow: []string{"*"}}},
			"GET", "/p?env=prod", "n1", false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := judge(t, tc.rules, tc.method, tc.target, tc.certname)
			if d.Allowed != tc.allowed || d.Rule != tc.rule {
				t.Errorf("got allowed=%v rule=%q, want %v %q", d.Allowed, d.Rule, tc.allowed, tc.rule)
			}
		})
	}
}

// TestRuleErrors: a rule the service cannot use fails Compile with a
// *authz.RuleError naming the rule, where it was written, and the problem.
func TestRuleErrors(t *testing.T) {
	ok := authz.Rule{Name: "r", SortOrder: 1, Type: authz.PathPrefix, Path: "/", Allow: []string{"*"}, Source: "auth.conf:7"}
	cases := []struct {
		name string
		edit func(*authz.Rule)
		want string
	}{
		{"no name", func(r *authz.Rule) { r.Name = "" }, "name is required"},
		{"sort-order 0", func(r *authz.Rule) { r.SortOrder = 0 }, "sort-order 0 is not between 1 and 999"},
		{"sort-order 1000", func(r *authz.Rule) { r.SortOrder = 1000 }, "sort-order 1000"},
		{"no path", func(r *authz.Rule) { r.Path = "" }, "match-request.path is required"},
		{"no type", func(r *authz.Rule) { r.Type = "" }, "match-request.type is required"},
		{"bad type", func(r *authz.Rule) { r.Type = "glob" }, `"glob" is not path or regex`},
		{"bad regex", func(r *authz.Rule) { r.Type = authz.PathRegex; r.Path = "^/(a" }, "is not a regular expression"},
		{"bad method", func(r *authz.Rule) { r.Methods = []string{"patch"} }, `"patch" is not get, post, put, delete or head`},
		{"nothing allowed or denied", func(r *authz.Rule) { r.Allow = nil }, "one of allow, deny or allow-unauthenticated is required"},
		{"unauthenticated with allow", func(r *authz.Rule) { r.AllowUnauthenticated = true }, "cannot be combined"},
		{"bad entry", func(r *authz.Rule) { r.Allow = []string{"two words"} }, `allow entry "two words": is not a certname`},
		{"bad regex entry", func(r *authz.Rule) { r.Deny = []string{"/(/"} }, `deny entry "/(/": is not a regular expression`},
		{"back-reference on a path rule", func(r *authz.Rule) { r.Allow = []string{"$1"} }, "$1 names no capture group"},
		{"back-reference past the groups", func(r *authz.Rule) { r.Type = authz.PathRegex; r.Path = "^/(a)$"; r.Allow = []string{"$2"} }, "$2 names no capture group of the rule's path (it has 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			_, err := authz.Compile([]authz.Rule{r})
			var re *authz.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *authz.RuleError", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "auth.conf:7") {
				t.Errorf("error %q, want it to name auth.conf:7 and say %q", err, tc.want)
			}
			if r.Name != "" && !strings.Contains(err.Error(), `"r"`) {
				t.Errorf("error %q does not name the rule", err)
			}
		})
	}
	bad := ok
	bad.Type, bad.Path = authz.PathRegex, "^/(a"
	_, err := authz.Compile([]authz.Rule{bad})
	var syn *syntax.Error
	if !errors.As(err, &syn) {
		t.Errorf("a bad path regex: %v has no *syntax.Error in its chain", err)
	}
	_, err = authz.Compile([]authz.Rule{ok, func() authz.Rule { r := ok; r.Source = "auth.conf:20"; return r }()})
	if err == nil || !strings.Contains(err.Error(), "auth.conf:20") || !strings.Contains(err.Error(), "another rule too (auth.conf:7)") {
		t.Errorf("duplicate name: %v", err)
	}
}
