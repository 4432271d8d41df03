package puppetconf

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// interpolation is Puppet's $name or ${name} (ChainedValues#convert); a $
// followed by anything else is kept as it is.
var interpolation = regexp.MustCompile(`\$(\w+)|\$\{(\w+)\}`)

// maxDepth bounds how deep interpolations may nest, and maxValue how long
// a resolved value may grow: far beyond any real configuration, small
// enough that a hostile file (a = $b$b, b = $c$c, ...) cannot make
// resolving expensive.
const (
	maxDepth = 32
	maxValue = 64 << 10
)

// Defaults returns Puppet 7 and 8's defaults (on Unix-like systems) for the
// settings an agent needs to find its server and its certificates. With
// root, the system paths under /etc/puppetlabs and /opt/puppetlabs; else
// the user's, under home/.puppetlabs. certname has no default here: it is
// the host's name, which the caller supplies.
func Defaults(root bool, home string) map[string]string {
	d := map[string]string{
		"ssldir":        "$confdir/ssl",
		"certdir":       "$ssldir/certs",
		"privatekeydir": "$ssldir/private_keys",
		"privatedir":    "$ssldir/private",
		"publickeydir":  "$ssldir/public_keys",
		"requestdir":    "$ssldir/certificate_requests",
		"localcacert":   "$certdir/ca.pem",
		"hostcert":      "$certdir/$certname.pem",
		"hostprivkey":   "$privatekeydir/$certname.pem",
		"hostpubkey":    "$publickeydir/$certname.pem",
		"hostcrl":       "$ssldir/crl.pem",
		"server":        "puppet",
		"server_list":   "",
		"serverport":    "8140",
		"masterport":    "8140",
		"environment":   "production",

		"certificate_revocation": "chain",
	}
	if root {
		d["confdir"] = "/etc/puppetlabs/puppet"
		d["codedir"] = "/etc/puppetlabs/code"
		d["vardir"] = "/opt/puppetlabs/puppet/cache"
		d["publicdir"] = "/opt/puppetlabs/puppet/public"
		d["logdir"] = "/var/log/puppetlabs/puppet"
		d["rundir"] = "/var/run/puppetlabs"
		return d
	}
	base := filepath.Join(home, ".puppetlabs")
	d["confdir"] = filepath.Join(base, "etc", "puppet")
	d["codedir"] = filepath.Join(base, "etc", "code")
	d["vardir"] = filepath.Join(base, "opt", "puppet", "cache")
	d["publicdir"] = filepath.Join(base, "opt", "puppet", "public")
	d["logdir"] = filepath.Join(base, "var", "log")
	d["rundir"] = filepath.Join(base, "var", "run")
	return d
}

// Resolver looks settings up as one Puppet run mode sees them.
type Resolver struct {
	// File is the parsed puppet.conf; nil means none (defaults only).
	File *File
	// RunMode is "agent", "server" or "user": its section is read before
	// [main].
	RunMode string
	// Defaults hold the value of each setting the file does not set (see
	// Defaults), interpolated like the file's values.
	Defaults map[string]string
}

// Value is a resolved setting and where it came from.
type Value struct {
	Value string
	// Set is the line that set it; its Line is 0 for a default.
	Set Setting
}

// Get returns setting name as the run mode sees it, interpolated. A name
// that is neither set nor defaulted, directly or through an
// interpolation, is an *Error naming the file, the line and the setting.
func (r *Resolver) Get(name string) (Value, error) {
	return r.get(name, nil, map[string]string{})
}

// sections are the sections the run mode reads, first match wins.
func (r *Resolver) sections() []string {
	switch r.RunMode {
	case "server":
		return []string{"server", "master", "main"}
	case "":
		return []string{"main"}
	}
	return []string{r.RunMode, "main"}
}

// lookup returns the raw value of name and the line that set it.
func (r *Resolver) lookup(name string) (Setting, bool) {
	if r.File != nil {
		for _, sec := range r.sections() {
			if s, ok := r.File.Lookup(sec, name); ok {
				return s, true
			}
		}
	}
	if v, ok := r.Defaults[name]; ok {
		return Setting{Name: name, Value: v}, true
	}
	return Setting{}, false
}

func (r *Resolver) fileName() string {
	if r.File == nil {
		return "puppet.conf"
	}
	return r.File.Name
}

// get resolves name; chain holds the names being resolved around it, and
// done the values resolved so far.
func (r *Resolver) get(name string, chain []string, done map[string]string) (Value, error) {
	s, ok := r.lookup(name)
	if !ok {
		return Value{}, &Error{File: r.fileName(), Setting: name, Reason: "is not set and has no default"}
	}
	fail := func(reason string) error {
		return &Error{File: r.fileName(), Line: s.Line, Setting: name, Reason: reason}
	}
	for _, c := range chain {
		if c == name {
			return Value{}, fail("refers to itself through " + strings.Join(append(chain, name), " -> "))
		}
	}
	if len(chain) >= maxDepth {
		return Value{}, fail(fmt.Sprintf("interpolations nest deeper than %d settings", maxDepth))
	}
	chain = append(chain, name)
	var err error
	grown := 0
	out := interpolation.ReplaceAllStringFunc(s.Value, func(expr string) string {
		if err != nil {
			return ""
		}
		if grown > maxValue {
			err = fail(fmt.Sprintf("interpolates to more than %d bytes", maxValue))
			return ""
		}
		m := interpolation.FindStringSubmatch(expr)
		ref := m[1] + m[2]
		if ref == "run_mode" {
			return r.RunMode
		}
		if _, known := r.lookup(ref); !known {
			err = fail("could not find value for " + expr)
			return ""
		}
		v, ok := done[ref]
		if !ok {
			got, e := r.get(ref, chain, done)
			if e != nil {
				err = e
				return ""
			}
			v = got.Value
		}
		grown += len(v)
		return v
	})
	if err == nil && len(out) > maxValue {
		err = fail(fmt.Sprintf("interpolates to more than %d bytes", maxValue))
	}
	if err != nil {
		return Value{}, err
	}
	done[name] = out
	return Value{Value: out, Set: s}, nil
}
