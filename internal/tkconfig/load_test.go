package tkconfig

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// confD writes a puppetserver-style conf.d directory and returns its path.
func confD(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "conf.d")
	write(t, dir, "global.conf", `# Global settings
global: {
    # Path to logback logging configuration file.
    logging-config: /etc/puppetlabs/puppetserver/logback.xml
    hostname: puppet.example.com
    certs {
        ssl-ca-cert: /etc/puppetlabs/puppet/ssl/certs/ca.pem
    }
}
`)
	write(t, dir, "webserver.conf", `webserver: {
    access-log-config: /etc/puppetlabs/puppetserver/request-logging.xml
    client-auth: want
    ssl-host: 0.0.0.0
    ssl-port: 8140
    ssl-cert: ${global.certs.ssl-ca-cert}
}
`)
	write(t, dir, "web-routes.conf", `web-router-service: {
    # These two should not be modified because the Puppet 4 agent expects them to
    # be mounted at these specific paths.
    "puppetlabs.services.ca.certificate-authority-service/certificate-authority-service": "/puppet-ca"
    "puppetlabs.analytics.service/analytics-service": "/analytics"

    "puppetlabs.trapperkeeper.services.status.status-service/status-service": "/status"
}
`)
	write(t, dir, "analytics.conf", `analytics {
    url: "https://localhost:8140/analytics"
    data-directory: data/analytics   // relative to this file's directory
    ssl-opts: {
        ssl-cert: /etc/puppetlabs/puppet/ssl/certs/myhost.pem
        ssl-key: /etc/puppetlabs/puppet/ssl/private_keys/myhost.pem
        ssl-ca-cert: /etc/puppetlabs/puppet/ssl/certs/ca.pem
    }
    send-interval: 30 seconds
}
product {
    update-server-url: "https://updates.example.com/"
    name: {group-id: puppetlabs, artifact-id: puppetserver}
}
`)
	write(t, dir, "README.md", "not config: {")
	write(t, dir, "webserver.conf.bak", "webserver.ssl-port: 1")
	write(t, dir, ".hidden.conf", "webserver.ssl-port: 2")
	write(t, dir, "sub/nested.conf", "webserver.ssl-port: 3")
	return dir
}

func TestLoadConfD(t *testing.T) {
	dir := confD(t)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{"analytics.conf", "global.conf", "web-routes.conf", "webserver.conf"}
	var got []string
	for _, f := range c.Files() {
		got = append(got, filepath.Base(f))
	}
	if !reflect.DeepEqual(got, wantFiles) {
		t.Errorf("files %v, want %v", got, wantFiles)
	}
	if want := []string{"analytics", "global", "product", "web-router-service", "webserver"}; !reflect.DeepEqual(c.Keys(), want) {
		t.Errorf("keys %v, want %v", c.Keys(), want)
	}

	strs := []struct {
		keys []string
		want string
	}{
		{[]string{"analytics", "url"}, "https://localhost:8140/analytics"},
		{[]string{"analytics", "ssl-opts", "ssl-key"}, "/etc/puppetlabs/puppet/ssl/private_keys/myhost.pem"},
		{[]string{"web-router-service", "puppetlabs.analytics.service/analytics-service"}, "/analytics"},
		{[]string{"webserver", "ssl-cert"}, "/etc/puppetlabs/puppet/ssl/certs/ca.pem"}, // from global.conf
		{[]string{"webserver", "client-auth"}, "want"},
		{[]string{"webserver", "ssl-port"}, "8140"},
		{[]string{"product", "name", "artifact-id"}, "puppetserver"},
		{[]string{"global", "hostname"}, "puppet.example.com"},
	}
	for _, s := range strs {
		v, ok, err := c.String(s.keys...)
		if err != nil || !ok || v != s.want {
			t.Errorf("String(%q) = %q, %v, %v; want %q", s.keys, v, ok, err, s.want)
		}
	}
	if port, ok, err := c.Int("webserver", "ssl-port"); port != 8140 || !ok || err != nil {
		t.Errorf("Int(webserver ssl-port) = %d, %v, %v", port, ok, err)
	}
	if d, ok, err := c.Duration("analytics", "send-interval"); d != 30*time.Second || !ok || err != nil {
		t.Errorf("Duration(analytics send-interval) = %v, %v, %v", d, ok, err)
	}
	if f := c.File("analytics", "data-directory"); f != filepath.Join(dir, "analytics.conf") {
		t.Errorf("File(analytics data-directory) = %q", f)
	}
	if f, line := c.Origin("webserver", "ssl-port"); filepath.Base(f) != "webserver.conf" || line != 5 {
		t.Errorf("Origin(webserver ssl-port) = %s:%d, want webserver.conf:5", f, line)
	}

	// A section keeps provenance and decodes into a struct with json tags.
	sub, ok := c.Sub("analytics")
	if !ok {
		t.Fatal("Sub(analytics) missing")
	}
	if f := sub.File("ssl-opts", "ssl-cert"); filepath.Base(f) != "analytics.conf" {
		t.Errorf("Sub File = %q", f)
	}
	var ac struct {
		URL string `json:"url"`
		SSL struct {
			Cert string `json:"ssl-cert"`
		} `json:"ssl-opts"`
	}
	if ok, err := c.Decode(&ac, "analytics"); !ok || err != nil || ac.URL != "https://localhost:8140/analytics" || ac.SSL.Cert != "/etc/puppetlabs/puppet/ssl/certs/myhost.pem" {
		t.Errorf("Decode = %v, %v, %+v", ok, err, ac)
	}
	if _, ok := c.Sub("analytics", "url"); ok {
		t.Error("Sub of a string reported ok")
	}
}

func TestLoadDuplicateAcrossFiles(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		key      string
		dupWords string
	}{
		{"leaf", map[string]string{"a.conf": "webserver {\n  host: localhost\n  port: 8080\n}", "b.conf": "\n\nwebserver.port: 8081"},
			"webserver.port", "[webserver port]"},
		{"object against leaf", map[string]string{"a.conf": "webserver: off", "b.conf": "webserver.port: 8081"},
			"webserver", "[webserver]"},
		{"quoted key", map[string]string{"a.conf": `web-router-service."puppetlabs.analytics.service/analytics-service": "/a"`,
			"b.json": `{"web-router-service": {"puppetlabs.analytics.service/analytics-service": "/b"}}`},
			`web-router-service."puppetlabs.analytics.service/analytics-service"`,
			"[web-router-service puppetlabs.analytics.service/analytics-service]"},
		{"yaml against ini", map[string]string{"a.ini": "[db]\nport = 1", "b.yaml": "db:\n  port: 2\n"},
			"db.port", "[db port]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			_, err := Load(dir)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrDuplicate) {
				t.Fatalf("got %v, want a duplicate *Error", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "Duplicate configuration entry: "+tt.dupWords) {
				t.Errorf("message %q lacks the Trapperkeeper wording", msg)
			}
			for name := range tt.files {
				if !strings.Contains(msg, name) {
					t.Errorf("message %q does not name %s", msg, name)
				}
			}
			if e.Key != tt.key || e.File == "" || e.OtherFile == "" {
				t.Errorf("Key %q File %q OtherFile %q; want key %q", e.Key, e.File, e.OtherFile, tt.key)
			}
		})
	}
}

func TestLoadDuplicateLines(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.conf", "webserver {\n  host: localhost\n  port: 8080\n}")
	b := write(t, dir, "b.conf", "\n\nwebserver.port: 8081")
	_, err := LoadFiles(a, b)
	want := b + ":3: Duplicate configuration entry: [webserver port] (also set in " + a + ":3)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLoadMixedFormats(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.conf", "webserver.host: 0.0.0.0\n")
	write(t, dir, "b.json", `{"webserver": {"port": 8140, "big": 9007199254740993, "ratio": 0.5, "tags": ["a", 1, true, null, {"x": 2}]}}`)
	write(t, dir, "c.yaml", "analytics:\n  url: https://localhost:8140/analytics\n  enabled: true\n  retries: 3\n  base: &b {x: 1}\n  merged:\n    <<: *b\n    y: 2\n")
	write(t, dir, "d.yml", "product:\n  conf-dir: /etc/puppetlabs\n")
	write(t, dir, "e.ini", "top = level\n[database]\nport = 5432\nurl = http://db/x#frag ; comment\nenabled = yes\n")
	write(t, dir, "f.txt", "ignored")
	write(t, dir, "g.edn", "{:global {:hostname \"host.example\"}}")
	write(t, dir, "h.properties", "metrics.enabled = true\n")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := m{
		"webserver": m{"host": "0.0.0.0", "port": int64(8140), "big": int64(9007199254740993), "ratio": 0.5,
			"tags": []any{"a", int64(1), true, nil, m{"x": int64(2)}}},
		"analytics": m{"url": "https://localhost:8140/analytics", "enabled": true, "retries": int64(3),
			"base": m{"x": int64(1)}, "merged": m{"x": int64(1), "y": int64(2)}},
		"product":  m{"conf-dir": "/etc/puppetlabs"},
		"top":      "level",
		"database": m{"port": "5432", "url": "http://db/x#frag", "enabled": "yes"},
		"global":   m{"hostname": "host.example"},
		"metrics":  m{"enabled": "true"},
	}
	if got := c.Map(); !reflect.DeepEqual(got, map[string]any(want)) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if p, ok, err := c.Int("database", "port"); p != 5432 || !ok || err != nil {
		t.Errorf("Int(database port) = %d %v %v", p, ok, err)
	}
	if b, ok, err := c.Bool("database", "enabled"); !b || !ok || err != nil {
		t.Errorf("Bool(database enabled) = %v %v %v", b, ok, err)
	}
	if f, line := c.Origin("analytics", "retries"); filepath.Base(f) != "c.yaml" || line != 4 {
		t.Errorf("Origin(analytics retries) = %s:%d", f, line)
	}
	if f, _ := c.Origin("global", "hostname"); filepath.Base(f) != "g.edn" {
		t.Errorf("Origin(global hostname) = %s", f)
	}
	if f, line := c.Origin("webserver", "port"); filepath.Base(f) != "b.json" || line != 1 {
		t.Errorf("Origin(webserver port) = %s:%d", f, line)
	}
}

func TestLoadCommaList(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "one/a.conf", "a: 1")
	write(t, dir, "two/b.conf", "b: ${a}") // sees keys of files loaded before it
	write(t, dir, "two/c.json", `{"c": 3}`)
	d := write(t, dir, "d.yaml", "d: 4")
	c, err := Load(a + ", " + filepath.Join(dir, "two") + "," + d + "," + a)
	if err != nil {
		t.Fatal(err)
	}
	want := m{"a": int64(1), "b": int64(1), "c": int64(3), "d": int64(4)}
	if got := c.Map(); !reflect.DeepEqual(got, map[string]any(want)) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	if n := len(c.Files()); n != 4 {
		t.Errorf("loaded %d files (%v), want 4 (a repeated file is read once)", n, c.Files())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		files map[string]string
		path  string // relative to dir; "" means dir
		file  string // file the error must name
		line  int
		is    error
		text  string
	}{
		{"missing path", nil, "nope", "nope", 0, fs.ErrNotExist, "must exist"},
		{"empty path", nil, " , ", "", 0, fs.ErrNotExist, "no configuration path"},
		{"unknown extension named", map[string]string{"x.txt": "a: 1"}, "x.txt", "x.txt", 0, ErrSyntax, "unsupported configuration file extension"},
		{"hocon syntax", map[string]string{"a.conf": "a: 1\nb: {\n"}, "a.conf", "a.conf", 2, ErrSyntax, "never closed"},
		{"json syntax", map[string]string{"a.json": "{\n  \"a\": 1,\n  \"b\" 2\n}"}, "a.json", "a.json", 3, ErrSyntax, "invalid character"},
		{"json duplicate key", map[string]string{"a.json": "{\"a\": 1,\n\"a\": 2}"}, "a.json", "a.json", 2, ErrSyntax, "twice"},
		{"json not an object", map[string]string{"a.json": "[1]"}, "a.json", "a.json", 1, ErrSyntax, "must be an object"},
		{"json trailing data", map[string]string{"a.json": "{}\n{}"}, "a.json", "a.json", 2, ErrSyntax, "after the top-level object"},
		{"json truncated", map[string]string{"a.json": "{\"a\": "}, "a.json", "a.json", 1, ErrSyntax, "unexpected end"},
		{"yaml syntax", map[string]string{"a.yaml": "a: 1\nb: [\n"}, "a.yaml", "a.yaml", 2, ErrSyntax, "did not find expected node content"},
		{"yaml duplicate key", map[string]string{"a.yaml": "a:\n  b: 1\n  b: 2\n"}, "a.yaml", "a.yaml", 3, ErrSyntax, "twice"},
		{"yaml not a mapping", map[string]string{"a.yml": "- 1\n"}, "a.yml", "a.yml", 1, ErrSyntax, "must be a mapping"},
		{"ini syntax", map[string]string{"a.ini": "[a\nb = 1\n"}, "a.ini", "a.ini", 0, ErrSyntax, ""},
		{"ini section clashes with key", map[string]string{"a.ini": "a = 1\n[a]\nb = 2\n"}, "a.ini", "a.ini", 0, ErrSyntax, "section"},
		{"second file unresolved", map[string]string{"a.conf": "a: 1", "b.conf": "b: ${zzz_unset_variable}"}, "", "b.conf", 1, ErrUnresolved, "zzz_unset_variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			for name, content := range tt.files {
				write(t, d, name, content)
			}
			path := d
			if tt.path != "" {
				path = filepath.Join(d, tt.path)
				if strings.TrimSpace(strings.ReplaceAll(tt.path, ",", "")) == "" {
					path = tt.path
				}
			}
			c, err := Load(path)
			if err == nil {
				t.Fatalf("loaded %v, want an error", c.Map())
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v is not *Error", err, err)
			}
			if filepath.Base(e.File) != filepath.Base(tt.file) && !(tt.file == "" && e.File == "") {
				t.Errorf("File %q, want %q (%v)", e.File, tt.file, err)
			}
			if e.Line != tt.line {
				t.Errorf("Line %d, want %d (%v)", e.Line, tt.line, err)
			}
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("error %q: want errors.Is %v and text %q", err, tt.is, tt.text)
			}
		})
	}
}

// TestLoadDirRefusesBadEDN: a conf.d file Trapperkeeper would read is
// never skipped; one that cannot be read is an error naming it.
func TestLoadDirRefusesBadEDN(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.conf", "a: 1\n")
	bad := write(t, dir, "b.edn", "{:b #inst \"2020-01-01\"}")
	_, err := Load(dir)
	var e *Error
	if !errors.As(err, &e) || e.File != bad || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "tagged literal") {
		t.Errorf("got %v, want a syntax error naming %s", err, bad)
	}
}
