package puppetconf

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// agent resolves name in src as the agent does, with root's defaults and
// certname n1.
func agent(t *testing.T, src, name string) (Value, error) {
	t.Helper()
	f, err := Parse("puppet.conf", []byte(src))
	if err != nil {
		return Value{}, err
	}
	d := Defaults(true, "/home/u")
	d["certname"] = "n1"
	return (&Resolver{File: f, RunMode: "agent", Defaults: d}).Get(name)
}

// Puppet's line rules: what each kind of line means, value by value.
func TestParseLines(t *testing.T) {
	tests := []struct {
		name, src, setting, want string
	}{
		{"before any section is main", "server = a\n[agent]\n", "server", "a"},
		{"agent overrides main", "[main]\nserver = a\n[agent]\nserver = b\n", "server", "b"},
		{"main read when agent lacks it", "[agent]\nx = 1\n[main]\nserver = a\n", "server", "a"},
		{"server and user sections are not the agent's", "[server]\nserver = s\n[user]\nserver = u\n[master]\nserver = m\n", "server", "puppet"},
		{"a repeated section adds to it", "[agent]\nserver = a\n[main]\n[agent]\nserverport = 1\n", "server", "a"},
		{"last line in a section wins", "[main]\nserver = a\nserver = b\n", "server", "b"},
		{"blanks around", "  \t server\t=   a b  \r\n", "server", "a b"},
		{"no blanks", "server=a", "server", "a"},
		{"hash inside a value stays", "server = a # not a comment\n", "server", "a # not a comment"},
		{"quotes dropped", `server = "a"`, "server", "a"},
		{"single quotes dropped", `server = 'a b'`, "server", "a b"},
		{"one quote each side only", `server = ""a""`, "server", `"a"`},
		{"unbalanced quote dropped", `server = "a`, "server", "a"},
		{"file metadata dropped", "ssldir = /s { owner = service, group = service, mode = 0750 }", "ssldir", "/s"},
		{"comments and blanks", "# c\n   # indented\n\n\t\nserver = a\n", "server", "a"},
		{"empty value", "server =\n", "server", ""},
		{"equals in value", "server = a=b", "server", "a=b"},
		{"BOM", "\ufeffserver = a", "server", "a"},
		{"section with blanks", "  [agent]  \nserver = a", "server", "a"},
		{"$var", "[main]\nssldir = $vardir/ssl\nvardir = /v", "ssldir", "/v/ssl"},
		{"$var ends at a non-word character", "ssldir = $vardir.x", "ssldir", "/opt/puppetlabs/puppet/cache.x"},
		{"defaults chain", "ssldir = /s", "hostcert", "/s/certs/n1.pem"},
		{"interpolation sees the agent's value", "[main]\nssldir = $confdir/s\n[agent]\nconfdir = /c", "hostcrl", "/c/s/crl.pem"},
		{"a lone dollar stays", "server = a$ b$-c ${x", "server", "a$ b$-c ${x"},
		{"run_mode", "server = $run_mode.example", "server", "agent.example"},
		{"a setting only the file knows", "[main]\nbase = /b\nssldir = $base/ssl", "ssldir", "/b/ssl"},
		{"packaged default", "", "localcacert", "/etc/puppetlabs/puppet/ssl/certs/ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := agent(t, tt.src, tt.setting)
			if err != nil {
				t.Fatal(err)
			}
			if v.Value != tt.want {
				t.Errorf("%s = %q, want %q", tt.setting, v.Value, tt.want)
			}
		})
	}
}

// Each error names the file, the line and, for a setting, its name.
func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, setting string
		line               int
		want               string
	}{
		{"semicolon comment", "[main]\n; c\n", "", 2, "could not match line"},
		{"no equals", "server a\n", "", 1, "could not match line"},
		{"dashed name", "server-name = a\n", "", 1, "could not match line"},
		{"environment section", "[main]\n[production]\nmanifest = x\n", "", 2, "illegal section [production]"},
		{"bad file option", "ssldir = /s {color = red}\n", "ssldir", 1, `invalid file option "color"`},
		{"bad mode", "ssldir = /s {mode = rw}\n", "ssldir", 1, `file mode "rw" is not a number`},
		{"unparsable options", "ssldir = /s {owner}\n", "ssldir", 1, "could not parse the file options"},
		{"braces read as file options", "[main]\nssldir = ${vardir}/ssl\n", "ssldir", 2, "write $name, not ${name}"},
		{"unknown variable", "[main]\nx = 1\nssldir = $nope/ssl\n", "ssldir", 3, "could not find value for $nope"},
		{"cycle", "[main]\nssldir = $certdir/x\ncertdir = $ssldir/certs\n", "", 0, "refers to itself"},
		{"growth", "[main]\na = $b$b$b$b$b$b$b$b\nb = $c$c$c$c$c$c$c$c\nc = $d$d$d$d$d$d$d$d\nd = $e$e$e$e$e$e$e$e\n" +
			"e = $f$f$f$f$f$f$f$f\nf = 0123456789abcdef\nssldir = $a\n", "", 0, "more than 65536 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := agent(t, tt.src, "ssldir")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) || e.File != "puppet.conf" {
				t.Errorf("error %q, want it to name puppet.conf and say %q", err, tt.want)
			}
			if tt.line != 0 && e.Line != tt.line {
				t.Errorf("line %d, want %d", e.Line, tt.line)
			}
			if tt.setting != "" && e.Setting != tt.setting {
				t.Errorf("setting %q, want %q", e.Setting, tt.setting)
			}
		})
	}
}

// The files Puppet 7 and 8 packages install parse, and leave every
// setting the agent needs at Puppet's default.
func TestPackagedFiles(t *testing.T) {
	for _, pkg := range []string{"puppet-agent", "puppetserver"} {
		t.Run(pkg, func(t *testing.T) {
			f, err := ReadFile(filepath.Join("..", "..", "testdata", "puppet", "packaged", pkg, "puppet.conf"))
			if err != nil {
				t.Fatal(err)
			}
			d := Defaults(true, "")
			d["certname"] = "n1"
			r := &Resolver{File: f, RunMode: "agent", Defaults: d}
			for name, want := range map[string]string{
				"hostcert": "/etc/puppetlabs/puppet/ssl/certs/n1.pem", "server": "puppet",
				"vardir": "/opt/puppetlabs/puppet/cache", "hostcrl": "/etc/puppetlabs/puppet/ssl/crl.pem",
			} {
				v, err := r.Get(name)
				if err != nil || v.Value != want {
					t.Errorf("%s = %q, %v; want %q", name, v.Value, err, want)
				}
			}
			if pkg == "puppetserver" {
				r.RunMode = "server"
				if v, _ := r.Get("vardir"); v.Value != "/opt/puppetlabs/server/data/puppetserver" || v.Set.Line != 8 {
					t.Errorf("server vardir = %+v, want the [server] line 8", v)
				}
			}
		})
	}
}

// The non-root defaults live under the home directory.
func TestUserDefaults(t *testing.T) {
	d := Defaults(false, "/home/u")
	d["certname"] = "n1"
	v, err := (&Resolver{RunMode: "agent", Defaults: d}).Get("hostprivkey")
	if err != nil || v.Value != "/home/u/.puppetlabs/etc/puppet/ssl/private_keys/n1.pem" {
		t.Errorf("hostprivkey = %q, %v", v.Value, err)
	}
}
