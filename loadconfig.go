package analytics

import (
	"fmt"
	"strings"

	"github.com/analytics-client/analytics/internal/tkconfig"
)

// LoadConfig reads the client settings of a Trapperkeeper installation: the
// "analytics" section of the configuration at path, which is a file, a
// directory of config files (such as /etc/puppetlabs/puppetserver/conf.d)
// or a comma-separated list of both, read as Trapperkeeper's --config reads
// it (HOCON .conf, .json, .yaml, .ini, .edn, .properties; a key set by two files is an error).
// It is the Go form of the JVM library's (select-keys config [:analytics]):
//
//	analytics: {
//	    url: "https://localhost:8140/analytics"
//	    ssl-opts: {
//	        ssl-cert: certs/myhost.pem
//	        ssl-key: private_keys/myhost.pem
//	        ssl-ca-cert: certs/ca.pem
//	    }
//	}
//
// analytics.url is required. The ssl-opts block is optional (a plain http
// URL needs none) but, when present, must set all three files. A relative
// file path is resolved against the directory of the config file that set
// it. Other keys of the section (the service's own settings, such as
// data-directory) are ignored, but a key that looks like a misspelt
// client setting (urll, ssl-opts.ssl-crt) is an error naming its file and
// line.
//
// Every failure is a *ConfigError naming the missing or bad keys and the
// files that were read. The certificates themselves are read by New.
func LoadConfig(path string) (Config, error) {
	c, err := tkconfig.Load(path)
	if err != nil {
		file := path
		if strings.Contains(err.Error(), path) {
			file = "" // named by the error already
		}
		return Config{}, &ConfigError{Field: "analytics", File: file, Reason: "cannot be loaded: " + err.Error(), Err: err}
	}
	l := sectionLoader{c: c, path: path}
	if _, ok := c.Sub("analytics"); !ok {
		return Config{}, l.missing("analytics", "section is not set or not an object")
	}
	return l.config()
}

// sectionLoader reads the analytics section of one loaded configuration.
type sectionLoader struct {
	c    *tkconfig.Config
	path string // the path given to LoadConfig
}

// clientKeys are the settings LoadConfig reads in analytics and in
// analytics.ssl-opts.
var clientKeys, sslKeys = []string{"url", "ssl-opts"}, []string{"ssl-cert", "ssl-key", "ssl-ca-cert"}

// config reads url and ssl-opts, reporting every missing key at once.
func (l sectionLoader) config() (Config, error) {
	if err := l.misspelt(clientKeys, "analytics"); err != nil {
		return Config{}, err
	}
	if err := l.misspelt(sslKeys, "analytics", "ssl-opts"); err != nil {
		return Config{}, err
	}
	var missing []string
	url, err := l.str("url")
	if err != nil {
		return Config{}, err
	}
	if url == "" {
		missing = append(missing, "analytics.url")
	}
	cfg := Config{URL: url}
	if _, ok := l.c.Get("analytics", "ssl-opts"); ok {
		ssl, miss, err := l.ssl()
		if err != nil {
			return Config{}, err
		}
		cfg.SSL, missing = ssl, append(missing, miss...)
	}
	if len(missing) > 0 {
		return Config{}, l.missing(strings.Join(missing, ", "), "not set")
	}
	return cfg, nil
}

// ssl reads the ssl-opts block and resolves its relative paths. It returns
// the keys that are not set.
func (l sectionLoader) ssl() (*SSLOpts, []string, error) {
	if _, ok := l.c.Sub("analytics", "ssl-opts"); !ok {
		return nil, nil, l.bad("ssl-opts", "is not an object with ssl-cert, ssl-key and ssl-ca-cert", nil)
	}
	var vals [3]string
	var missing []string
	for i, key := range sslKeys {
		v, _, err := l.c.Path("analytics", "ssl-opts", key)
		if err != nil {
			return nil, nil, l.bad("ssl-opts."+key, "is not a string", err)
		}
		if v == "" {
			missing = append(missing, "analytics.ssl-opts."+key)
			continue
		}
		vals[i] = v
	}
	return &SSLOpts{CertFile: vals[0], KeyFile: vals[1], CAFile: vals[2]}, missing, nil
}

// str returns the string under analytics.keys, "" when unset or null.
func (l sectionLoader) str(keys ...string) (string, error) {
	v, _, err := l.c.String(append([]string{"analytics"}, keys...)...)
	if err != nil {
		return "", l.bad(strings.Join(keys, "."), "is not a string", err)
	}
	return strings.TrimSpace(v), nil
}

// misspelt reports an unknown key of the section at path that most
// likely misspells one of keys that is not set, naming its file and line.
// Other unknown keys are left alone: the section is shared with the
// service, whose own settings the client does not read.
func (l sectionLoader) misspelt(keys []string, path ...string) error {
	for _, e := range l.c.UnknownKeys(keys, path...) {
		name := e.Key[strings.LastIndexByte(e.Key, '.')+1:]
		s, ok := tkconfig.Suggest(name, keys)
		if !ok {
			continue
		}
		if _, set := l.c.Get(append(path[:len(path):len(path)], s)...); set {
			continue
		}
		return &ConfigError{Field: e.Key, File: at(e.File, e.Line),
			Reason: "unknown setting; did you mean " + s + "?", Err: e}
	}
	return nil
}

// missing reports keys that no file sets, naming the files read.
func (l sectionLoader) missing(keys, reason string) error {
	files := l.c.Files()
	switch {
	case len(files) == 0:
		reason += " (no configuration files were found)"
	case len(files) > 1 || files[0] != l.path:
		reason += " (files read: " + strings.Join(files, ", ") + ")"
	}
	return &ConfigError{Field: keys, File: l.path, Reason: reason}
}

// bad reports a key that is set to something unusable, naming the file and
// line that set it.
func (l sectionLoader) bad(key, reason string, err error) error {
	file, line := l.c.Origin(append([]string{"analytics"}, strings.Split(key, ".")...)...)
	return &ConfigError{Field: "analytics." + key, File: at(file, line), Reason: reason, Err: err}
}

// at is file:line, or file when the line is not known.
func at(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}
