package server

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server/authz"
)

// access is who may call an endpoint under the default rules.
type access int

const (
	// clientAccess: any authenticated client. The commands agents send.
	clientAccess access = iota
	// operatorAccess: only the service's own certname (and the operator
	// certnames given to DefaultRules). What reads, moves or discards the
	// stored data.
	operatorAccess
)

// endpoint is one method and path below the prefix, its default access
// and its handler. Adding an endpoint is adding one entry to endpoints;
// authorization covers it with no other change.
type endpoint struct {
	method string
	path   string
	access access
	serve  func(*Server, http.ResponseWriter, *http.Request)
}

// endpoints is the API below the prefix.
var endpoints = []endpoint{
	{http.MethodGet, "", clientAccess, (*Server).serveEntrypoint},
	{http.MethodGet, "/", clientAccess, (*Server).serveEntrypoint},
	{http.MethodPost, "/commands/event", clientAccess, (*Server).serveEvent},
	{http.MethodPost, "/commands/snapshot", clientAccess, (*Server).serveSnapshot},
	{http.MethodPost, "/commands/batch", clientAccess, (*Server).serveBatch},
	{http.MethodPost, "/commands/send", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.checker.ServeSend(w, r, requestID(w))
	}},
	{http.MethodGet, "/collections/events", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.serveCollection(w, r, store.Events)
	}},
	{http.MethodGet, "/collections/snapshots", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.serveCollection(w, r, store.Snapshots)
	}},
	{http.MethodGet, "/status", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.views.ServeStatus(w, r)
	}},
	{http.MethodGet, "/checkin/preview", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.checker.ServePreview(w, r)
	}},
	{http.MethodGet, "/view", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.views.ServeView(w, r)
	}},
	{http.MethodGet, "/view/live", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.views.ServeViewLive(w, r)
	}},
	{http.MethodGet, "/metrics", operatorAccess, func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.views.ServeMetrics(w, r)
	}},
}

type route struct{ method, path string }

// routes indexes endpoints; it is never modified.
var routes = func() map[route]endpoint {
	m := make(map[route]endpoint, len(endpoints))
	for _, e := range endpoints {
		m[route{e.method, e.path}] = e
	}
	return m
}()

// commandLabels name the endpoints in the metrics' command label: the
// entrypoint, the commands by their name, the rest by their path. Any
// other path is "other", so that clients cannot grow the label set.
var commandLabels = func() map[string]string {
	m := make(map[string]string, len(endpoints))
	for _, e := range endpoints {
		switch {
		case e.path == "" || e.path == "/":
			m[e.path] = "entrypoint"
		case strings.HasPrefix(e.path, "/commands/"):
			m[e.path] = strings.TrimPrefix(e.path, "/commands/")
		default:
			m[e.path] = strings.TrimPrefix(e.path, "/")
		}
	}
	return m
}()

// commands lists the command labels, for the metrics.
func commands() []string {
	out := make([]string, 0, len(commandLabels))
	for _, c := range commandLabels {
		out = append(out, c)
	}
	return out
}

// commandOf names a request's command in the metrics; prefix is stripped
// from its path first.
func commandOf(prefix string) func(*http.Request) string {
	return func(r *http.Request) string {
		rest, _ := trimPrefix(r.URL.Path, prefix)
		if c, ok := commandLabels[rest]; ok {
			return c
		}
		return "other"
	}
}

// Names of the default rules.
const (
	RuleClients   = "analytics clients"
	RuleOperators = "analytics operators"
	RuleDenyRest  = "analytics deny everything else"
)

// DefaultRules are the rules of a service with no Authorization: any
// authenticated client may call the entrypoint and send events, snapshots
// and batches; only the operators (the service's own certname, from
// CheckIn.Certname or else the CN of its server certificate, unless given
// otherwise) may call the other endpoints (collections, commands/send);
// everything else under prefix is refused. With no operators the operator
// endpoints are refused to everyone. An empty prefix means DefaultPrefix.
func DefaultRules(prefix string, operators ...string) []authz.Rule {
	if prefix = strings.TrimRight(prefix, "/"); prefix == "" {
		prefix = DefaultPrefix
	}
	ops := authz.Rule{Name: RuleOperators, SortOrder: 500, Type: authz.PathRegex,
		Path: endpointPattern(prefix, operatorAccess), Allow: operators}
	if len(operators) == 0 {
		ops.Allow, ops.Deny = nil, []string{"*"}
	}
	return []authz.Rule{
		{Name: RuleClients, SortOrder: 500, Type: authz.PathRegex,
			Path: endpointPattern(prefix, clientAccess), Allow: []string{"*"}},
		ops,
		{Name: RuleDenyRest, SortOrder: 999, Type: authz.PathPrefix, Path: prefix + "/", Deny: []string{"*"}},
	}
}

// endpointPattern is a regular expression matching exactly the paths of
// the endpoints of class a.
func endpointPattern(prefix string, a access) string {
	var alts []string
	seen := map[string]bool{}
	for _, e := range endpoints {
		if e.access == a && !seen[e.path] {
			seen[e.path] = true
			alts = append(alts, regexp.QuoteMeta(prefix+e.path))
		}
	}
	return "^(?:" + strings.Join(alts, "|") + ")$"
}

// cleanPath returns the request path, or false when it must not be routed:
// an encoded slash (%2f) or a dot segment (".", "..", also when encoded)
// would let a path mean something else to a rule than to the router.
func cleanPath(r *http.Request) (string, bool) {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || strings.Contains(strings.ToLower(r.URL.EscapedPath()), "%2f") {
		return "", false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}
