package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

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
		return analytics.Config{}, "", usageErrorf("analytics: no service configured: give --url or --config, set ANALYTICS_URL, or %s", hint)
	}
	cfg.Timeout = o.timeout
	return cfg, source, nil
}

// baseSettings reads --config or, when neither it nor a URL is given, the
// development client configuration if there is one.
func (c *cli) baseSettings(o *opts) (analytics.Config, string, error) {
	if o.config != "" {
		cfg, err := analytics.LoadConfig(o.config)
		return cfg, "--config " + o.config, err
	}
	if o.url != "" || c.Getenv("ANALYTICS_URL") != "" || c.DevConfigPath == "" {
		return analytics.Config{}, "", nil
	}
	cfg, err := devenv.ReadClientConfig(c.DevConfigPath)
	if errors.Is(err, fs.ErrNotExist) {
		return analytics.Config{}, "", nil
	}
	if err != nil {
		return analytics.Config{}, "", usageErrorf("analytics: development client config: %v (remove it, or restart analyticsd to rewrite it)", err)
	}
	return cfg, "the development config " + c.DevConfigPath + "; is analyticsd running?", nil
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
	client, err := analytics.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	explain := func(err error) error {
		if source == "" || !errors.Is(err, analytics.ErrUnreachable) {
			return err
		}
		return fmt.Errorf("%w (settings from %s)", err, source)
	}
	return client, explain, nil
}
