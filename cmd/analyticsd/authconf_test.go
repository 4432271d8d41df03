package main

import (
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// baseConf is the minimum configuration around an authorization section.
const baseConf = "analytics.data-directory: /tmp/x\nwebserver.port: 0\n"

// stockAuthConf is an auth.conf written as Puppet's stock one is: a regex
// path with a $1 back-reference, allow-unauthenticated, {certname: ...}
// entries, a method list, query-params, and a final deny "*" on "/" at
// sort-order 999.
const stockAuthConf = `authorization: {
    version: 1
    rules: [
        {
            # agents read only their own collection
            match-request: {
                path: "^/analytics/collections/([^/]+)$"
                type: regex
                method: get
            }
            allow: ["$1-reader", {certname: puppet.example.com}]
            sort-order: 500
            name: "analytics collections"
        },
        {
            match-request: {
                path: "/analytics/commands/"
                type: path
                method: [post, put]
                query-params: { env: [prod, test], debug: "no" }
            }
            allow: "*"
            deny: "/^bad/"
            sort-order: 500
            name: "analytics commands"
        },
        {
            match-request: { path: "^/analytics/?$", type: regex }
            allow-unauthenticated: true
            sort-order: 500
            name: "analytics entrypoint"
        },
        {
            match-request: {
                path: "/"
                type: path
            }
            deny: "*"
            sort-order: 999
            name: "puppetlabs deny all"
        }
    ]
}
`

func TestAuthorizationSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.conf")
	writeConf(t, path, baseConf+stockAuthConf)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := func(line int) string { return path + ":" + strconv.Itoa(line) }
	want := []authz.Rule{
		{Name: "analytics collections", SortOrder: 500, Path: "^/analytics/collections/([^/]+)$", Type: authz.PathRegex,
			Methods: []string{"get"}, Allow: []string{"$1-reader", "puppet.example.com"}, Source: src(6)},
		{Name: "analytics commands", SortOrder: 500, Path: "/analytics/commands/", Type: authz.PathPrefix,
			Methods: []string{"post", "put"}, QueryParams: map[string][]string{"env": {"prod", "test"}, "debug": {"no"}},
			Allow: []string{"*"}, Deny: []string{"/^bad/"}, Source: src(17)},
		{Name: "analytics entrypoint", SortOrder: 500, Path: "^/analytics/?$", Type: authz.PathRegex,
			AllowUnauthenticated: true, Source: src(29)},
		{Name: "puppetlabs deny all", SortOrder: 999, Path: "/", Type: authz.PathPrefix, Deny: []string{"*"}, Source: src(35)},
	}
	if !reflect.DeepEqual(cfg.Authorization, want) {
		t.Errorf("rules\n got %+v\nwant %+v", cfg.Authorization, want)
	}
}

// TestNoAuthorizationSection: without a section the service's defaults
// apply.
func TestNoAuthorizationSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.conf")
	writeConf(t, path, baseConf)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Authorization != nil {
		t.Errorf("rules %+v, want none (the defaults)", cfg.Authorization)
	}
}

// TestAuthorizationErrors: a bad section or rule fails at start with an
// error naming the file, the line of the rule, and the rule.
func TestAuthorizationErrors(t *testing.T) {
	rule := func(body string) string {
		return "authorization: {\n  version: 1\n  rules: [\n    { name: \"r1\", sort-order: 1, match-request: {path: \"/\", type: path}, allow: \"*\" },\n    {\n" +
			body + "\n    }\n  ]\n}\n"
	}
	cases := map[string]struct{ conf, want string }{
		"extensions": {rule(`name: "ext", sort-order: 2, match-request: {path: "/", type: path}, allow: {extensions: {pp_env: prod}}`),
			`:7: key authorization.rules[1] "ext": allow: {extensions: ...} entries are not supported`},
		"bad type": {rule(`name: "t", sort-order: 2, match-request: {path: "/", type: glob}, allow: "*"`),
			`server: authorization rule "t" (FILE:7): match-request.type "glob" is not path or regex`},
		"bad regex": {rule(`name: "re", sort-order: 2, match-request: {path: "^/(", type: regex}, allow: "*"`),
			`authorization rule "re" (FILE:7): match-request.path "^/(" is not a regular expression`},
		"no match-request": {rule(`name: "nm", sort-order: 2, allow: "*"`), `:7: key authorization.rules[1] "nm": match-request is required`},
		"sort-order":       {rule(`name: "so", sort-order: first, match-request: {path: "/", type: path}, allow: "*"`), `"so": sort-order first is not an integer`},
		"unknown key":      {rule(`name: "uk", sort-order: 2, match-request: {path: "/", type: path}, allow: "*", permit: "*"`), `"uk": permit is not a setting here`},
		"duplicate name":   {rule(`name: "r1", sort-order: 2, match-request: {path: "/", type: path}, allow: "*"`), `rule "r1" (FILE:7): name is used by another rule too (FILE:6)`},
		"backref on path":  {rule(`name: "br", sort-order: 2, match-request: {path: "/", type: path}, allow: "$1"`), `rule "br" (FILE:7): allow entry "$1": $1 names no capture group`},
		"version":          {"authorization: { version: 2, rules: [] }\n", `authorization.version: must be 1`},
		"no rules":         {"authorization: { version: 1 }\n", `authorization.rules: is required`},
		"header cert info": {"authorization: { version: 1, allow-header-cert-info: true, rules: [] }\n",
			`allow-header-cert-info: true is not supported`},
	}
	dir := t.TempDir()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, baseConf+tc.conf)
			err := startError(path)
			want := strings.ReplaceAll(tc.want, "FILE", path)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v\nwant one naming %s and %q", err, path, want)
			}
		})
	}
}

// startError loads path and creates the service as analyticsd does at
// start, returning the first error.
func startError(path string) error {
	cfg, err := loadConfig(path, nil)
	if err != nil {
		return err
	}
	cfg.DataDir = filepath.Join(filepath.Dir(path), "data-"+filepath.Base(path))
	srv, err := server.New(cfg)
	if err == nil {
		_ = srv.Close(context.Background())
	}
	return err
}

// TestReadmeDefaultRules: the rules the README gives as the defaults are
// exactly the service's defaults for global.hostname puppet.example.com.
func TestReadmeDefaultRules(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)<!-- default-rules -->\n```hocon\n(.*?)```").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README has no default-rules block")
	}
	path := filepath.Join(t.TempDir(), "auth.conf")
	writeConf(t, path, baseConf+string(block[1]))
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfg.Authorization {
		cfg.Authorization[i].Source = ""
	}
	want := server.DefaultRules(server.DefaultPrefix, "puppet.example.com")
	if !reflect.DeepEqual(cfg.Authorization, want) {
		t.Errorf("README rules\n got %+v\nwant %+v", cfg.Authorization, want)
	}
}

// TestConfiguredAuthorization runs the daemon with an auth.conf over real
// mTLS: the rules decide, and the 403 names the rule and the certname.
func TestConfiguredAuthorization(t *testing.T) {
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	_, readerCert, readerKey, err := b.IssueClient(dir, "events-reader")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, `analytics.data-directory: `+filepath.Join(dir, "data")+`
webserver: { ssl-host: 127.0.0.1, ssl-port: 0, ssl-cert: `+b.ServerCert+`, ssl-key: `+b.ServerKey+`, ssl-ca-cert: `+b.CACert+` }
`+stockAuthConf)
	s := startRun(t, []string{"--config", conf, "--log-level", "info"}, true)
	tc, _ := b.ClientTLSConfig()
	agent := newClient(t, tc) // CN analytics-client
	rtc, _ := b.ClientTLSConfig()
	pair, err := tls.LoadX509KeyPair(readerCert, readerKey)
	if err != nil {
		t.Fatal(err)
	}
	rtc.Certificates = []tls.Certificate{pair}
	reader := newClient(t, rtc)
	mustStatus(t, agent, "POST", s.url+"/commands/event?env=prod&debug=no", `{"event":"x"}`, 200)
	mustStatus(t, agent, "POST", s.url+"/commands/event", `{"event":"x"}`, 403) // query-params do not match: deny all
	mustStatus(t, reader, "GET", s.url+"/collections/events", "", 200)
	body := mustStatus(t, agent, "GET", s.url+"/collections/events", "", 403)
	if !strings.Contains(body, `"rule":"analytics collections"`) || !strings.Contains(body, `"certname":"analytics-client"`) {
		t.Errorf("403 body %s", body)
	}
	mustStatus(t, reader, "GET", s.url+"/collections/snapshots", "", 403)
}
