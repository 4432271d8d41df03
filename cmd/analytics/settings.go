package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
)

// settings resolves the connection settings (see the package
// documentation for the order) and says where the base layer came from.
func (c *cli) settings(o *opts) (analytics.Config, string, error) {
	cfg, source, err := c.baseSettings(o)
	if err != nil {
		return analytics.Config{}, "", err
	}
	overlay(&cfg, c.Getenv("ANALYTICS_URL"), c.Getenv("ANALYTICS_SSL_CERT"), c.Getenv("ANALYTICS_SSL_KEY"), c.Getenv("ANALYTICS_SSL_CA_CERT"))
	overlay(&cfg, o.url, o.cert, o.key, o.ca)
	if cfg.URL == "" {
		hint := "start analyticsd for a development service"
		if c.DevConfigPath != "" {
			hint += " (it writes " + c.DevConfigPath + ")"
		}
		return analytics.Config{}, "", usageErrorf("analytics: no service configured: give --url, --config or --puppet-conf, set ANALYTICS_URL, or %s", hint)
	}
	cfg.Timeout = o.timeout
	return cfg, source, nil
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

// overlay replaces the settings that are given (non-empty).
func overlay(cfg *analytics.Config, url, cert, key, ca string) {
	if url != "" {
		cfg.URL = url
	}
	if cert == "" && key == "" && ca == "" {
		return
	}
	ssl := analytics.SSLOpts{}
	if cfg.SSL != nil {
		ssl = *cfg.SSL
	}
	for _, s := range []struct {
		dst *string
		v   string
	}{{&ssl.CertFile, cert}, {&ssl.KeyFile, key}, {&ssl.CAFile, ca}} {
		if s.v != "" {
			*s.dst = s.v
		}
	}
	cfg.SSL = &ssl
}

// client returns a client for the resolved settings. An unreachable service
// is reported with where its URL came from.
func (c *cli) client(o *opts) (*analytics.Client, func(error) error, error) {
	cfg, source, err := c.settings(o)
	if err != nil {
		return nil, nil, err
	}
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
		return nil, nil, err
	}
	explain := func(err error) error {
		if source == "" || !errors.Is(err, analytics.ErrUnreachable) {
			return err
		}
		if strings.HasPrefix(source, devSource) {
			return fmt.Errorf("%w (settings from %s; is analyticsd running?)", err, source)
		}
		return fmt.Errorf("%w (settings from %s)", err, source)
	}
	return client, explain, nil
}
