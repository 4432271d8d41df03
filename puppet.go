package analytics

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-client/analytics/internal/puppetconf"
)

// PuppetServicePath is where puppetserver mounts the analytics service:
// the path of the URL LoadPuppetConfig builds.
const PuppetServicePath = "/analytics"

// PuppetSettings are the settings of the node's Puppet agent that a client
// needs, resolved from puppet.conf as the agent resolves them.
type PuppetSettings struct {
	// File is the puppet.conf that was read; empty when there was none at
	// the default location (Puppet's defaults were used, as the agent
	// uses them).
	File string
	// Certname is the node's certificate name: puppet.conf's certname,
	// else the host's fully qualified name in lower case.
	Certname string
	// Server and Port are the first entry of server_list when it is set,
	// else server; the port is the entry's own, else serverport (or the
	// older masterport), else 8140.
	Server string
	Port   int
	// The SSL files, after interpolation: ssldir, localcacert (the CA
	// bundle), hostcert, hostprivkey and hostcrl.
	SSLDir      string
	LocalCACert string
	HostCert    string
	HostPrivKey string
	HostCRL     string
	// CheckCRL is false when certificate_revocation is false: the agent
	// then checks no CRL, and neither does the client.
	CheckCRL bool

	origins map[string]string // setting -> where its value came from
}

// DefaultPuppetConfPath is where Puppet reads puppet.conf for this
// process: /etc/puppetlabs/puppet/puppet.conf for root,
// ~/.puppetlabs/etc/puppet/puppet.conf for any other user (the paths of
// Puppet on Unix-like systems).
func DefaultPuppetConfPath() string {
	return filepath.Join(puppetHost().defaults()["confdir"], "puppet.conf")
}

// LoadPuppetConfig builds a Config from the node's Puppet settings, so
// that a program on any Puppet node reports with no configuration of its
// own: the URL https://SERVER:PORT/analytics of the agent's server (set
// Config.URL afterwards to use another), and the agent's certificate, key,
// CA bundle and CRL as SSL files. path is puppet.conf; "" means
// DefaultPuppetConfPath (and Puppet's defaults when no file is there),
// while a path that is given must exist.
//
// puppet.conf is read as Puppet reads it: [main], then [agent] overriding
// it; $confdir, $vardir, $ssldir, $certname (any setting) interpolated;
// confdir is the directory of puppet.conf. The certificate files must
// exist. Every failure is a *ConfigError naming the file, the line and
// the setting.
func LoadPuppetConfig(path string) (Config, error) {
	s, err := ReadPuppetSettings(path)
	if err != nil {
		return Config{}, err
	}
	if err := s.checkFiles(); err != nil {
		return Config{}, err
	}
	return s.Config(), nil
}

// ReadPuppetSettings reads the agent's settings from puppet.conf at path
// ("" as for LoadPuppetConfig) without looking at the certificate files.
func ReadPuppetSettings(path string) (*PuppetSettings, error) {
	return puppetHost().read(path)
}

// Config is the client configuration for s: the service at
// https://Server:Port/analytics, with the agent's SSL files.
func (s *PuppetSettings) Config() Config {
	u := url.URL{Scheme: "https", Host: net.JoinHostPort(s.Server, strconv.Itoa(s.Port)), Path: PuppetServicePath}
	ssl := &SSLOpts{CertFile: s.HostCert, KeyFile: s.HostPrivKey, CAFile: s.LocalCACert}
	if s.CheckCRL {
		ssl.CRLFile = s.HostCRL
	}
	return Config{URL: u.String(), SSL: ssl}
}

// String says where the settings came from and what they hold, for a
// log line: "puppet.conf PATH (certname C, server S:P)".
func (s *PuppetSettings) String() string {
	from := "puppet.conf " + s.File
	if s.File == "" {
		from = "Puppet's defaults (no " + DefaultPuppetConfPath() + ")"
	}
	return fmt.Sprintf("%s (certname %s, server %s)", from, s.Certname, net.JoinHostPort(s.Server, strconv.Itoa(s.Port)))
}

// checkFiles reports a certificate file that does not exist, naming the
// setting and where its value came from: the usual cause is a node whose
// certificate was never signed, or a program run as another user.
func (s *PuppetSettings) checkFiles() error {
	files := []struct{ setting, path string }{
		{"hostcert", s.HostCert}, {"hostprivkey", s.HostPrivKey}, {"localcacert", s.LocalCACert},
	}
	if s.CheckCRL {
		files = append(files, struct{ setting, path string }{"hostcrl", s.HostCRL})
	}
	for _, f := range files {
		_, err := os.Stat(f.path)
		if err == nil {
			continue
		}
		reason := f.path + " cannot be read: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			reason = f.path + " does not exist (has this node's certificate been signed? `puppet ssl bootstrap` fetches it)"
		}
		return &ConfigError{Field: f.setting, File: s.origins[f.setting], Reason: reason, Err: err}
	}
	return nil
}

// host is what the defaults depend on: the user and the machine.
type host struct {
	root     bool
	home     string
	hostname func() (string, error) // the fully qualified name
}

func puppetHost() host {
	home, _ := os.UserHomeDir()
	return host{root: os.Geteuid() == 0, home: home, hostname: fqdn}
}

// defaults are Puppet's defaults for h.
func (h host) defaults() map[string]string { return puppetconf.Defaults(h.root, h.home) }

// read resolves the agent's settings from the file at path.
func (h host) read(path string) (*PuppetSettings, error) {
	defaults := h.defaults()
	explicit := path != ""
	if !explicit {
		path = filepath.Join(defaults["confdir"], "puppet.conf")
	}
	r := &puppetconf.Resolver{RunMode: "agent", Defaults: defaults}
	file, err := puppetconf.ReadFile(path)
	switch {
	case err == nil:
		r.File = file
		if abs, err := filepath.Abs(filepath.Dir(path)); err == nil {
			defaults["confdir"] = abs
		}
	case explicit || !errors.Is(err, fs.ErrNotExist):
		return nil, puppetError(err)
	}
	if _, set := lookupSet(r, "certname"); !set {
		name, err := h.hostname()
		if err != nil {
			return nil, &ConfigError{Field: "certname", File: path, Reason: "is not set and the host's name is unknown: " + err.Error(), Err: err}
		}
		defaults["certname"] = strings.ToLower(name)
	}
	return settingsFrom(r)
}

// settingsFrom resolves the settings s holds.
func settingsFrom(r *puppetconf.Resolver) (*PuppetSettings, error) {
	s := &PuppetSettings{origins: map[string]string{}}
	if r.File != nil {
		s.File = r.File.Name
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"certname", &s.Certname}, {"ssldir", &s.SSLDir}, {"localcacert", &s.LocalCACert},
		{"hostcert", &s.HostCert}, {"hostprivkey", &s.HostPrivKey}, {"hostcrl", &s.HostCRL}} {
		v, err := r.Get(f.name)
		if err != nil {
			return nil, puppetError(err)
		}
		*f.dst = v.Value
		s.origins[f.name] = origin(r, v)
	}
	if s.Certname == "" {
		return nil, &ConfigError{Field: "certname", File: s.origins["certname"], Reason: "is empty: the certificate files are named after it"}
	}
	revocation, err := r.Get("certificate_revocation")
	if err != nil {
		return nil, puppetError(err)
	}
	s.CheckCRL = !strings.EqualFold(revocation.Value, "false")
	if err := s.server(r); err != nil {
		return nil, err
	}
	return s, nil
}

// server sets Server and Port from server_list, server, serverport and
// masterport.
func (s *PuppetSettings) server(r *puppetconf.Resolver) error {
	port, err := serverPort(r)
	if err != nil {
		return err
	}
	list, err := r.Get("server_list")
	if err != nil {
		return puppetError(err)
	}
	if first := firstServer(list.Value); first != "" {
		host, p, hasPort := strings.Cut(first, ":")
		if hasPort {
			if port, err = parsePort(r, list, p); err != nil {
				return err
			}
		}
		s.Server, s.Port = host, port
		return nil
	}
	srv, err := r.Get("server")
	if err != nil {
		return puppetError(err)
	}
	if srv.Value == "" {
		return &ConfigError{Field: "server", File: origin(r, srv), Reason: "is empty (and server_list is not set): no server to report to"}
	}
	s.Server, s.Port = srv.Value, port
	return nil
}

// listSep separates the entries of a Puppet array setting.
var listSep = regexp.MustCompile(`\s*,\s*`)

func firstServer(list string) string {
	for _, e := range listSep.Split(strings.TrimSpace(list), -1) {
		if e != "" {
			return e
		}
	}
	return ""
}

// serverPort is serverport or, when a section read earlier sets the older
// masterport, that one.
func serverPort(r *puppetconf.Resolver) (int, error) {
	sp, err := r.Get("serverport")
	if err != nil {
		return 0, puppetError(err)
	}
	mp, err := r.Get("masterport")
	if err != nil {
		return 0, puppetError(err)
	}
	use := sp
	if rank(mp) < rank(sp) {
		use = mp
	}
	return parsePort(r, use, use.Value)
}

// rank orders where a value was set: [agent] before [main] before the
// defaults.
func rank(v puppetconf.Value) int {
	switch {
	case v.Set.Line == 0:
		return 2
	case v.Set.Section == "main":
		return 1
	}
	return 0
}

func parsePort(r *puppetconf.Resolver, v puppetconf.Value, p string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(p))
	if err != nil || n < 1 || n > 65535 {
		return 0, &ConfigError{Field: v.Set.Name, File: origin(r, v), Reason: fmt.Sprintf("%q is not a port number (1-65535)", p)}
	}
	return n, nil
}

// lookupSet reports whether the file sets name in a section the agent
// reads.
func lookupSet(r *puppetconf.Resolver, name string) (puppetconf.Value, bool) {
	if r.File == nil {
		return puppetconf.Value{}, false
	}
	for _, sec := range []string{"agent", "main"} {
		if s, ok := r.File.Lookup(sec, name); ok {
			return puppetconf.Value{Value: s.Value, Set: s}, true
		}
	}
	return puppetconf.Value{}, false
}

// origin names where v came from: file:line, or Puppet's default.
func origin(r *puppetconf.Resolver, v puppetconf.Value) string {
	if v.Set.Line == 0 {
		if r.File == nil {
			return "Puppet's default"
		}
		return r.File.Name + " (Puppet's default)"
	}
	return fmt.Sprintf("%s:%d [%s]", r.File.Name, v.Set.Line, v.Set.Section)
}

// puppetError turns a puppetconf error into a *ConfigError naming the
// file, the line and the setting.
func puppetError(err error) error {
	var pe *puppetconf.Error
	if !errors.As(err, &pe) {
		return err
	}
	file := pe.File
	if pe.Line > 0 {
		file = fmt.Sprintf("%s:%d", pe.File, pe.Line)
	}
	field := pe.Setting
	if field == "" {
		field = "puppet.conf"
	}
	return &ConfigError{Field: field, File: file, Reason: pe.Reason, Err: pe.Err}
}

// fqdn is the host's fully qualified name as Puppet's default certname
// takes it (Facter's hostname and domain): the host name when it has a
// domain, else the name the resolver gives it, else the host name with
// the domain (or first search domain) of /etc/resolv.conf.
func fqdn() (string, error) {
	h, err := os.Hostname()
	if err != nil {
		return "", err
	}
	h = strings.TrimSuffix(h, ".")
	if strings.Contains(h, ".") {
		return h, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, h); err == nil {
		if c := strings.TrimSuffix(cname, "."); strings.Contains(c, ".") {
			return c, nil
		}
	}
	if d := resolvDomain("/etc/resolv.conf"); d != "" {
		return h + "." + d, nil
	}
	return h, nil
}

// resolvDomain is the domain, or else the first search domain, of a
// resolv.conf.
func resolvDomain(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var search string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "domain":
			return strings.TrimSuffix(fields[1], ".")
		case "search":
			if search == "" {
				search = strings.TrimSuffix(fields[1], ".")
			}
		}
	}
	return search
}
