package main

import (
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/analytics-client/analytics/internal/tkconfig"
)

// section lists the settings of one section the service reads.
type section struct {
	path []string
	keys []string
	// strict makes an unknown key an error: the JVM refuses it too
	// (Trapperkeeper's Jetty webserver validates its section), or the
	// section is ours alone. Otherwise it is a warning, because the JVM
	// services that share the section ignore keys they do not read.
	strict bool
}

// jettyKeys are the webserver settings of Trapperkeeper's Jetty webserver
// that the service does not use; a webserver section shared with a JVM
// service may hold them.
var jettyKeys = []string{"max-threads", "request-body-max-size", "ssl-cert-chain", "keystore", "truststore",
	"key-password", "trust-password", "cipher-suites", "ssl-protocols", "jmx-enable", "default-server",
	"static-content", "gzip-enable", "access-log-config", "shutdown-timeout-seconds", "post-config-script",
	"so-linger-seconds", "idle-timeout-milliseconds", "acceptor-threads", "selector-threads",
	"ssl-acceptor-threads", "ssl-selector-threads", "queue-max-size", "allow-renegotiation"}

// sections are the sections whose keys are checked. global is left out:
// every Trapperkeeper service adds its own keys there; authorization is
// checked as it is read.
var sections = []section{
	{path: []string{"webserver"}, strict: true, keys: slices.Concat([]string{"host", "port", "ssl-host", "ssl-port",
		"ssl-cert", "ssl-key", "ssl-ca-cert", "client-auth", "ssl-crl-path", "max-connections",
		"request-header-max-size"}, jettyKeys)},
	{path: []string{"analytics"}, keys: []string{"data-directory", "whitelist-file", "max-body-bytes",
		"max-store-bytes", "public-url", "certificate-check-interval", "max-inflight-bytes", "body-timeout",
		"database", "admin-listen", "access-log", "max-fields", "max-client-store-bytes",
		"url", "ssl-opts"}}, // the client's (LoadConfig)
	{path: []string{"analytics", "database"}, strict: true, keys: []string{"subname", "username", "password",
		"password-file", "ssl-mode", "ssl-ca-cert", "maximum-pool-size"}},
	{path: []string{"product"}, keys: []string{"name", "version-path", "conf-dir", "update-server-url"}},
	{path: []string{"product", "name"}, keys: []string{"artifact-id", "group-id"}},
}

// topSections are the top-level sections the service reads.
var topSections = []string{"analytics", "webserver", "web-router-service", "global", "product", keyAuthorization}

// checkKeys reports the unknown keys of the sections above (an error for
// a strict section, naming each such key; else a warning to log) and
// warns of a top-level section that looks like a misspelt one of ours.
// It returns the settings that a warned-about key most likely misspells.
func (t tk) checkKeys(log *slog.Logger) (map[string]*tkconfig.Error, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	typos := map[string]*tkconfig.Error{}
	var errs []error
	for _, sec := range sections {
		known := sec.keys
		if sec.path[0] == "webserver" {
			known = slices.Concat(known, t.servers())
		}
		for _, e := range t.c.UnknownKeys(known, sec.path...) {
			last := e.Key[strings.LastIndexByte(e.Key, '.')+1:]
			if sec.strict {
				errs = append(errs, e)
				continue
			}
			log.Warn("configuration: setting ignored", "error", e)
			if s, ok := tkconfig.Suggest(last, sec.keys); ok {
				typos[strings.Join(append(slices.Clip(sec.path), s), ".")] = e
			}
		}
	}
	t.checkSections(log)
	return typos, errors.Join(errs...)
}

// checkSections warns of top-level sections that look like one the
// service reads: a misspelt authorization section would leave the
// default rules in force. Other sections belong to other services.
func (t tk) checkSections(log *slog.Logger) {
	for _, k := range t.c.Keys() {
		s, ok := tkconfig.Suggest(k, topSections)
		if !ok {
			continue
		}
		file, line := t.c.Origin(k)
		log.Warn("configuration: section ignored", "error", &tkconfig.Error{File: file, Line: line, Key: k,
			Reason: "unknown section; did you mean " + s + "?", Err: tkconfig.ErrUnknownKey})
	}
}

// servers are the keys of the webserver section that hold an object: the
// servers of Trapperkeeper's multi-server form, not settings.
func (t tk) servers() []string {
	sub, _ := t.c.Sub("webserver")
	var ids []string
	for _, k := range sub.Keys() {
		if _, ok := sub.Sub(k); ok {
			ids = append(ids, k)
		}
	}
	return ids
}
