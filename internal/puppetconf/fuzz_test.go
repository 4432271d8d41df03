package puppetconf

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes the parser or the resolver panic or
// run away, that every failure is an *Error naming the file (and, for a
// parse failure, a line of the input), and that values carry no line
// break.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"[main]\nserver = a\n[agent]\nserver = b\n",
		"ssldir = $confdir/ssl { owner = service, mode = 0750 }\nhostcert = ${ssldir}/x.pem",
		"; nope",
		"[production]\n",
		"a = $b\nb = $a\nssldir = $a",
		"x = \"'q'\"\r\n  # c\n\t[user]\n",
		"a = $b$b$b$b\nb = $c$c$c$c\nc = 0123456789\nssldir = $a$a",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.conf", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.conf" || e.Line < 1 || e.Line > strings.Count(string(data), "\n")+1 {
				t.Fatalf("parse error without the file and a line of the input: %#v", err)
			}
			return
		}
		d := Defaults(true, "/h")
		d["certname"] = "n"
		r := &Resolver{File: file, RunMode: "agent", Defaults: d}
		for _, name := range []string{"ssldir", "hostcert", "server", "server_list", "serverport"} {
			v, err := r.Get(name)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.File != "fuzz.conf" {
					t.Fatalf("resolve error without the file: %#v", err)
				}
				continue
			}
			if strings.ContainsAny(v.Value, "\n") || len(v.Value) > maxValue+len(data) {
				t.Fatalf("%s = %q", name, v.Value)
			}
		}
	})
}
