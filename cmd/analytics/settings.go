package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
)

// resolved is the connection settings and where each came from, for
// messages that must name the flag or file to fix.
type resolved struct {
	cfg analytics.Config
	// source says where the base layer came from ("" when only
	// ANALYTICS_* and flags gave settings).
	source string
	// from names how each setting was given, as a person wrote it:
	// "--ssl-ca-cert ca.pem", "ANALYTICS_URL=...", "ca.pem (from --config
	// conf.d)".
	from origins
	// devHint, when not empty, says where the development service's
	// certificates are, for a URL given without any.
	devHint string
}

// origins names how each connection setting was given.
type origins struct{ url, cert, key, ca string }

// settings resolves the connection settings (see the package
// documentation for the order) and says where each came from.
func (c *cli) settings(o *opts) (resolved, error) {
	var r resolved
	var err error
	r.cfg, r.source, err = c.baseSettings(o)
	if err != nil {
		return resolved{}, err
	}
	if r.source != "" {
		r.from = originsOf(r.cfg, r.source)
	}
	overlay(&r, "ANALYTICS_URL=", "ANALYTICS_SSL_CERT=", "ANALYTICS_SSL_KEY=", "ANALYTICS_SSL_CA_CERT=",
		c.Getenv("ANALYTICS_URL"), c.Getenv("ANALYTICS_SSL_CERT"), c.Getenv("ANALYTICS_SSL_KEY"), c.Getenv("ANALYTICS_SSL_CA_CERT"))
	overlay(&r, "--url ", "--ssl-cert ", "--ssl-key ", "--ssl-ca-cert ", o.url, o.cert, o.key, o.ca)
	if r.cfg.URL == "" {
		hint := "start analyticsd for a development service"
		if c.DevConfigPath != "" {
			hint += " (it writes " + c.DevConfigPath + ")"
		}
		return resolved{}, usageErrorf("analytics: no service configured: give --url, --config or --puppet-conf, set ANALYTICS_URL, or %s", hint)
	}
	if err := checkURLSyntax(r.cfg.URL, r.from.url); err != nil {
		return resolved{}, err
	}
	if r.cfg.SSL == nil && r.source == "" {
		if err := c.devCertificates(&r); err != nil {
			return resolved{}, err
		}
	}
	r.cfg.Timeout = o.timeout
	return r, nil
}

// originsOf names the settings of a base layer read from source.
func originsOf(cfg analytics.Config, source string) origins {
	in := " (from " + source + ")"
	f := origins{url: "url " + cfg.URL + in}
	if cfg.SSL != nil {
		f.cert, f.key, f.ca = "ssl-cert "+cfg.SSL.CertFile+in, "ssl-key "+cfg.SSL.KeyFile+in, "ssl-ca-cert "+cfg.SSL.CAFile+in
	}
	return f
}

// checkURLSyntax catches the URL mistakes the client would only call
// unparsable: a URL written without its scheme.
func checkURLSyntax(raw, from string) error {
	if strings.Contains(raw, "://") {
		return nil
	}
	return usageErrorf("analytics: %s has no scheme: write https://%s", from, strings.TrimPrefix(raw, "//"))
}

// devCertificates gives a URL that came without certificates those of
// the development service, when it names the development service's
// address (the one in its client config); otherwise it notes where they
// are, for the message that certificates are missing.
func (c *cli) devCertificates(r *resolved) error {
	dev, source, err := c.devSettings()
	if err != nil || source == "" {
		return err
	}
	if !sameService(r.cfg.URL, dev.URL) {
		r.devHint = fmt.Sprintf("; for the development service (%s) its certificates are in %s: --ssl-cert %s --ssl-key %s --ssl-ca-cert %s",
			dev.URL, c.DevConfigPath, dev.SSL.CertFile, dev.SSL.KeyFile, dev.SSL.CAFile)
		return nil
	}
	r.cfg.SSL = dev.SSL
	r.source = r.from.url + ", with the certificates of " + source
	o := originsOf(dev, source)
	r.from.cert, r.from.key, r.from.ca = o.cert, o.key, o.ca
	return nil
}

// sameService reports whether URLs a and b reach the same loopback
// address: the same scheme and port, and both hosts loopback. Only then
// are the development certificates offered to a.
func sameService(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || ua.Scheme != ub.Scheme || ua.Port() == "" || ua.Port() != ub.Port() {
		return false
	}
	return isLoopback(ua.Hostname()) && isLoopback(ub.Hostname())
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// baseSettings reads --config or --puppet-conf or, when none of them nor
// a URL is given, the development client configuration if there is one,
// else the node's puppet.conf if there is one.
func (c *cli) baseSettings(o *opts) (analytics.Config, string, error) {
	puppetConf, puppetFrom := o.puppetConf, "--puppet-conf"
	if puppetConf == "" {
		puppetConf, puppetFrom = c.Getenv("ANALYTICS_PUPPET_CONF"), "ANALYTICS_PUPPET_CONF"
	}
	switch {
	case o.config != "" && puppetConf != "":
		return analytics.Config{}, "", usageErrorf("analytics: --config and %s both name the service: give one", puppetFrom)
	case o.config != "":
		cfg, err := analytics.LoadConfig(o.config)
		return cfg, "--config " + o.config, err
	case puppetConf != "":
		return puppetSettings(puppetConf, puppetFrom+" ")
	}
	if o.url != "" || c.Getenv("ANALYTICS_URL") != "" {
		return analytics.Config{}, "", nil
	}
	if cfg, source, err := c.devSettings(); source != "" || err != nil {
		return cfg, source, err
	}
	if c.PuppetConfPath == "" {
		return analytics.Config{}, "", nil
	}
	if _, err := os.Stat(c.PuppetConfPath); err != nil {
		return analytics.Config{}, "", nil // not a Puppet node (or not this user's)
	}
	return puppetSettings(c.PuppetConfPath, "the node's ")
}

// devSource starts the source of settings read from the development
// client configuration.
const devSource = "the development config "

// devSettings reads the development client configuration; no source
// when there is none.
func (c *cli) devSettings() (analytics.Config, string, error) {
	if c.DevConfigPath == "" {
		return analytics.Config{}, "", nil
	}
	cfg, err := devenv.ReadClientConfig(c.DevConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return analytics.Config{}, "", nil
	}
	if err != nil {
		return analytics.Config{}, "", usageErrorf("analytics: development client config: %v (remove it, or restart analyticsd to rewrite it)", err)
	}
	return cfg, devSource + c.DevConfigPath, nil
}

// puppetSettings builds the settings from the Puppet agent's puppet.conf
// at path; the source names it, with the certname and server.
func puppetSettings(path, from string) (analytics.Config, string, error) {
	s, err := analytics.ReadPuppetSettings(path)
	if err != nil {
		return analytics.Config{}, "", err
	}
	cfg, err := analytics.LoadPuppetConfig(s.File)
	return cfg, from + s.String(), err
}

// overlay replaces the settings that are given (non-empty), and notes
// how each was given: its label (a flag or variable) and the value.
func overlay(r *resolved, urlL, certL, keyL, caL string, u, cert, key, ca string) {
	if u != "" {
		r.cfg.URL, r.from.url = u, urlL+u
	}
	if cert == "" && key == "" && ca == "" {
		return
	}
	ssl := analytics.SSLOpts{}
	if r.cfg.SSL != nil {
		ssl = *r.cfg.SSL
	}
	for _, s := range []struct {
		dst, from *string
		label, v  string
	}{{&ssl.CertFile, &r.from.cert, certL, cert}, {&ssl.KeyFile, &r.from.key, keyL, key}, {&ssl.CAFile, &r.from.ca, caL, ca}} {
		if s.v != "" {
			*s.dst, *s.from = s.v, s.label+s.v
		}
	}
	r.cfg.SSL = &ssl
}

// client returns a client for the resolved settings, and explain, which
// turns the error of a call into one that says what to fix: where an
// unreachable service's URL came from, which flag or file a certificate
// failure is about.
func (c *cli) client(o *opts) (*analytics.Client, func(error) error, error) {
	r, err := c.settings(o)
	if err != nil {
		return nil, nil, err
	}
	cfg, source := r.cfg, r.source
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: level}))
	c.source = source
	if o.verbose && source != "" {
		cfg.Logger.Info("connection settings from " + source)
	}
	client, err := analytics.New(cfg)
	if err != nil {
		return nil, nil, missingCertificates(err, r)
	}
	explain := func(err error) error {
		if te := tlsFailure(err, r); te != nil {
			return te
		}
		if source == "" || !errors.Is(err, analytics.ErrUnreachable) {
			return err
		}
		if strings.Contains(source, devSource) {
			return fmt.Errorf("%w (settings from %s; is analyticsd running?)", err, source)
		}
		return fmt.Errorf("%w (settings from %s)", err, source)
	}
	return client, explain, nil
}

// missingCertificates words New's refusal of the URL, of an https URL
// without certificates and of certificates with an http URL in the
// flags (or variables, or files) that gave them.
func missingCertificates(err error, r resolved) error {
	var ce *analytics.ConfigError
	switch {
	case !errors.As(err, &ce):
		return err
	case ce.Field == "url":
		return usageErrorf("analytics: %s: %s", r.from.url, ce.Reason)
	case fileOrigin(ce.Field, r.from) != "":
		return usageErrorf("analytics: %s: %s", fileOrigin(ce.Field, r.from), ce.Reason)
	case ce.Field != "ssl-opts":
		return err
	}
	if r.cfg.SSL == nil {
		return usageErrorf("analytics: %s is https but no certificates are given: give --ssl-cert, --ssl-key and --ssl-ca-cert "+
			"(or ANALYTICS_SSL_CERT, ANALYTICS_SSL_KEY and ANALYTICS_SSL_CA_CERT, --config or --puppet-conf)%s", r.from.url, r.devHint)
	}
	return usageErrorf("analytics: certificates are given (%s) but %s is not https: write https:// for a service behind TLS, or leave the certificates out",
		firstOf(r.from.cert, r.from.key, r.from.ca), r.from.url)
}

// fileOrigin names how the certificate file of setting field was given,
// "" for another setting or one a file gave without our knowing how.
func fileOrigin(field string, from origins) string {
	switch field {
	case "ssl-opts.ssl-cert":
		return from.cert
	case "ssl-opts.ssl-key":
		return from.key
	case "ssl-opts.ssl-ca-cert":
		return from.ca
	}
	return ""
}

// firstOf returns the first non-empty string.
func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
