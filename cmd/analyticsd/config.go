package main

import (
	"cmp"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-client/analytics/internal/tkconfig"
	"github.com/analytics-client/analytics/server"
)

// Trapperkeeper settings the service reads.
const (
	routeService       = "puppetlabs.analytics.service/analytics-service"
	defaultUpdateURL   = "https://updates.puppet.com"
	defaultListenHost  = "localhost" // Trapperkeeper's webserver default
	keyDataDirectory   = "analytics.data-directory"
	keyWhitelistFile   = "analytics.whitelist-file"
	keyMaxBodyBytes    = "analytics.max-body-bytes"
	keyMaxStoreBytes   = "analytics.max-store-bytes"
	keyPublicURL       = "analytics.public-url"
	keyCertCheck       = "analytics.certificate-check-interval"
	keyCRLPath         = "webserver.ssl-crl-path"
	keyMaxInflight     = "analytics.max-inflight-bytes"
	keyMaxConnections  = "webserver.max-connections"
	keyBodyTimeout     = "analytics.body-timeout"
	keyMaxHeader       = "webserver.request-header-max-size"
	keyUpdateServerURL = "product.update-server-url"
	keyVersionPath     = "product.version-path"
)

// tk wraps a loaded configuration so that every error names the file (or
// files) and the key.
type tk struct {
	c    *tkconfig.Config
	path string // the --config value, for keys that are not set
}

// keyError is a configuration problem with one key.
type keyError struct {
	File, Key, Reason string
	Err               error
}

func (e *keyError) Error() string {
	return "config " + e.File + ": " + e.Key + ": " + e.Reason
}

func (e *keyError) Unwrap() error { return e.Err }

// fail reports a problem with dotted key, naming the file that set it.
func (t tk) fail(key, reason string, err error) error {
	file := t.c.File(splitKey(key)...)
	if file == "" {
		file = t.path
	}
	return &keyError{File: file, Key: key, Reason: reason, Err: err}
}

// splitKey splits a dotted key; the route key's quoted segment is kept
// whole.
func splitKey(key string) []string {
	if rest, ok := strings.CutPrefix(key, "web-router-service."); ok {
		return []string{"web-router-service", strings.Trim(rest, `"`)}
	}
	return strings.Split(key, ".")
}

func (t tk) str(key string) (string, error) {
	s, _, err := t.c.String(splitKey(key)...)
	return s, err // tkconfig errors name the file, line and key already
}

// path reads a file or directory setting; a relative path is resolved
// against the directory of the file that set it, as the client's
// LoadConfig does.
func (t tk) filePath(key string) (string, error) {
	s, _, err := t.c.Path(splitKey(key)...)
	return s, err
}

func (t tk) int(key string) (int64, bool, error) {
	return t.c.Int(splitKey(key)...)
}

// loadConfig reads a Trapperkeeper configuration into a server.Config.
func loadConfig(path string) (server.Config, error) {
	c, err := tkconfig.Load(path)
	if err != nil {
		return server.Config{}, err
	}
	t := tk{c: c, path: path}
	var cfg server.Config
	steps := []func(*server.Config) error{
		t.analytics,
		t.database,
		t.limits,
		t.listeners,
		t.route,
		t.product,
		t.operators,
		t.authorization,
	}
	for _, step := range steps {
		if err := step(&cfg); err != nil {
			return server.Config{}, err
		}
	}
	cfg.Version = version()
	return cfg, nil
}

func (t tk) analytics(cfg *server.Config) error {
	var err error
	if cfg.DataDir, err = t.filePath(keyDataDirectory); err != nil {
		return err
	}
	if _, db := t.c.Get(splitKey(keyDatabase)...); cfg.DataDir == "" && !db {
		return t.fail(keyDataDirectory, "is required (or analytics.database): where the entries are kept", nil)
	}
	if cfg.WhitelistFile, err = t.filePath(keyWhitelistFile); err != nil {
		return err
	}
	if cfg.PublicURL, err = t.str(keyPublicURL); err != nil {
		return err
	}
	if cfg.MaxBodyBytes, err = t.positive(keyMaxBodyBytes, "bytes"); err != nil {
		return err
	}
	cfg.MaxStoreBytes, err = t.positive(keyMaxStoreBytes, "bytes")
	return err
}

// limits reads the bounds that hold against hostile clients (our
// extensions); unset keys keep the server's defaults.
func (t tk) limits(cfg *server.Config) error {
	var err error
	if cfg.MaxInflightBytes, err = t.positive(keyMaxInflight, "bytes"); err != nil {
		return err
	}
	body := cmp.Or(cfg.MaxBodyBytes, server.DefaultMaxBodyBytes)
	if inflight := cfg.MaxInflightBytes; inflight != 0 && inflight < body {
		return t.fail(keyMaxInflight, fmt.Sprintf("%d is less than %s (%d): a body of the largest size could never be read",
			inflight, keyMaxBodyBytes, body), nil)
	}
	if cfg.BodyTimeout, err = t.duration(keyBodyTimeout); err != nil {
		return err
	}
	conns, err := t.positive(keyMaxConnections, "connections")
	if err != nil {
		return err
	}
	cfg.MaxConnections = int(min(conns, math.MaxInt32))
	header, err := t.positive(keyMaxHeader, "bytes")
	cfg.MaxHeaderBytes = int(min(header, math.MaxInt32))
	if err != nil {
		return err
	}
	return t.costLimits(cfg)
}

// Bounds on what one request and one client may cost (issue 17).
const (
	keyMaxFields      = "analytics.max-fields"
	keyMaxClientStore = "analytics.max-client-store-bytes"
)

// costLimits reads the bounds on decoding and each client's store share;
// unset keys keep the server's defaults.
func (t tk) costLimits(cfg *server.Config) error {
	fields, err := t.positive(keyMaxFields, "JSON values")
	if err != nil {
		return err
	}
	cfg.MaxFields = int(min(fields, math.MaxInt32))
	cfg.MaxClientStoreBytes, err = t.positive(keyMaxClientStore, "bytes")
	return err
}

// positive reads an optional key that must be a positive number of unit;
// 0 when it is not set.
func (t tk) positive(key, unit string) (int64, error) {
	n, set, err := t.int(key)
	if err != nil {
		return 0, err
	}
	if set && n <= 0 {
		return 0, t.fail(key, fmt.Sprintf("%d is not a positive number of %s", n, unit), nil)
	}
	return n, nil
}

func (t tk) listeners(cfg *server.Config) error {
	var err error
	if cfg.HTTPAddr, err = t.addr("webserver.host", "webserver.port"); err != nil {
		return err
	}
	if cfg.HTTPSAddr, err = t.addr("webserver.ssl-host", "webserver.ssl-port"); err != nil {
		return err
	}
	if cfg.HTTPAddr == "" && cfg.HTTPSAddr == "" {
		return t.fail("webserver.ssl-port", "is required (or webserver.port): the service has nothing to listen on", nil)
	}
	files := []struct {
		key string
		dst *string
	}{{"webserver.ssl-cert", &cfg.TLS.CertFile}, {"webserver.ssl-key", &cfg.TLS.KeyFile}, {"webserver.ssl-ca-cert", &cfg.TLS.CAFile}}
	for _, f := range files {
		if *f.dst, err = t.filePath(f.key); err != nil {
			return err
		}
		if cfg.HTTPSAddr != "" && *f.dst == "" && (f.key != "webserver.ssl-ca-cert" || !t.noClientAuth()) {
			return t.fail(f.key, "is required with webserver.ssl-port", nil)
		}
	}
	auth, err := t.str("webserver.client-auth")
	if err != nil {
		return err
	}
	cfg.TLS.ClientAuth = server.ClientAuth(auth)
	if err := t.revocation(cfg); err != nil {
		return err
	}
	switch cfg.TLS.ClientAuth {
	case "", server.ClientAuthWant, server.ClientAuthNeed, server.ClientAuthNone:
		return nil
	}
	return t.fail("webserver.client-auth", fmt.Sprintf("%q is not want, need or none", auth), nil)
}

// revocation reads the CRL file and how often the TLS files are checked
// for changes.
func (t tk) revocation(cfg *server.Config) error {
	var err error
	if cfg.TLS.CRLFile, err = t.filePath(keyCRLPath); err != nil {
		return err
	}
	if cfg.TLS.CRLFile != "" && cfg.TLS.ClientAuth == server.ClientAuthNone {
		return t.fail(keyCRLPath, "has no use with client-auth: none (no client certificate is asked for)", nil)
	}
	cfg.CertCheckInterval, err = t.duration(keyCertCheck)
	return err
}

// duration reads an optional key that must be a positive duration; 0 when
// it is not set.
func (t tk) duration(key string) (time.Duration, error) {
	d, set, err := t.c.Duration(splitKey(key)...)
	if err != nil {
		return 0, err
	}
	if set && d <= 0 {
		return 0, t.fail(key, fmt.Sprintf("%v is not a positive duration", d), nil)
	}
	return d, nil
}

func (t tk) noClientAuth() bool {
	auth, _ := t.str("webserver.client-auth")
	return auth == string(server.ClientAuthNone)
}

// addr joins a host and port key; "" when the port is not set.
func (t tk) addr(hostKey, portKey string) (string, error) {
	port, set, err := t.int(portKey)
	if err != nil || !set {
		return "", err
	}
	if port < 0 || port > 65535 {
		return "", t.fail(portKey, fmt.Sprintf("%d is not a port number", port), nil)
	}
	host, err := t.str(hostKey)
	if err != nil {
		return "", err
	}
	if host == "" {
		host = defaultListenHost
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10)), nil
}

// route reads the URL prefix: a string, or an object with a "route" key as
// Trapperkeeper allows for services on several servers.
func (t tk) route(cfg *server.Config) error {
	keys := []string{"web-router-service", routeService}
	v, ok := t.c.Get(keys...)
	if !ok || v == nil {
		return nil
	}
	key := `web-router-service."` + routeService + `"`
	switch r := v.(type) {
	case string:
		cfg.Prefix = r
	case map[string]any:
		s, ok := r["route"].(string)
		if !ok {
			return t.fail(key, "is an object without a string \"route\"", nil)
		}
		cfg.Prefix = s
	default:
		return t.fail(key, fmt.Sprintf("%v is not a URL prefix", v), nil)
	}
	if !strings.HasPrefix(cfg.Prefix, "/") {
		return t.fail(key, fmt.Sprintf("%q does not start with /", cfg.Prefix), nil)
	}
	return nil
}

func (t tk) product(cfg *server.Config) error {
	var err error
	strs := map[string]*string{"global.hostname": &cfg.CheckIn.Certname,
		"product.name.artifact-id": &cfg.CheckIn.Product, keyUpdateServerURL: &cfg.UpdateServerURL}
	for key, dst := range strs {
		if *dst, err = t.str(key); err != nil {
			return err
		}
	}
	paths := map[string]*string{"global.certs.ssl-ca-cert": &cfg.CheckIn.CAFile, "product.conf-dir": &cfg.CheckIn.ConfDir}
	for key, dst := range paths {
		if *dst, err = t.filePath(key); err != nil {
			return err
		}
	}
	// As the JVM service: the whitelist is fetched only from a configured
	// update server; check-ins go to the default one otherwise.
	cfg.FetchWhitelist = cfg.UpdateServerURL != ""
	if cfg.UpdateServerURL == "" {
		cfg.UpdateServerURL = defaultUpdateURL
	}
	versionPath, err := t.filePath(keyVersionPath)
	if err != nil || versionPath == "" {
		return err
	}
	data, err := os.ReadFile(versionPath)
	if err != nil {
		return t.fail(keyVersionPath, "cannot read "+versionPath, err)
	}
	cfg.CheckIn.Version = strings.TrimSpace(string(data))
	return nil
}
