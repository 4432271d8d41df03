package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-client/analytics/internal/store/boltstore"
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
	// typos maps a setting to an unknown key that most likely misspells
	// it, so that "is required" can point at the misspelling.
	typos map[string]*tkconfig.Error
}

// keyError is a configuration problem with one key: its file and line
// (the --config path for a key that is not set), the key as the operator
// writes it, and the reason.
type keyError = tkconfig.Error

// fail reports a problem with dotted key, naming the file and line that
// set it. For a key that is not set it points at a misspelling of it.
func (t tk) fail(key, reason string, err error) error {
	file, line := t.c.Origin(splitKey(key)...)
	if file == "" {
		file = t.path
		if typo := t.typos[key]; typo != nil {
			reason += fmt.Sprintf(" (%s:%d sets %s: misspelt?)", typo.File, typo.Line, typo.Key)
		}
	}
	return &keyError{File: file, Line: line, Key: key, Reason: reason, Err: err}
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
// Unknown keys and sections are checked first (see checkKeys): those the
// JVM would refuse too are errors, the others warnings logged to log (nil
// means none).
func loadConfig(path string, log *slog.Logger) (server.Config, error) {
	_, cfg, err := load(path, log)
	return cfg, err
}

// load is loadConfig, also returning the loaded configuration for
// messages about it.
func load(path string, log *slog.Logger) (tk, server.Config, error) {
	c, err := tkconfig.Load(path)
	if err != nil {
		return tk{}, server.Config{}, err
	}
	t := tk{c: c, path: path}
	if t.typos, err = t.checkKeys(log); err != nil {
		return t, server.Config{}, err
	}
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
			return t, server.Config{}, err
		}
	}
	cfg.Version = version()
	return t, cfg, nil
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

// settingOf maps the server.Config fields that server.ConfigError names
// to the settings an operator writes.
var settingOf = map[string]string{
	"TLS.CertFile": "webserver.ssl-cert", "TLS.KeyFile": "webserver.ssl-key", "TLS": "webserver.ssl-cert",
	"TLS.CAFile": "webserver.ssl-ca-cert", "TLS.CRLFile": keyCRLPath, "TLS.ClientAuth": "webserver.client-auth",
	"HTTPAddr": "webserver.ssl-port", "MaxConnections": keyMaxConnections, "MaxHeaderBytes": keyMaxHeader,
	"DataDir": keyDataDirectory, "WhitelistFile": keyWhitelistFile, "Whitelist": keyWhitelistFile,
	"Database.URL": keyDatabase, "MaxBodyBytes": keyMaxBodyBytes, "MaxInflightBytes": keyMaxInflight,
	"MaxStoreBytes": keyMaxStoreBytes, "BodyTimeout": keyBodyTimeout, "CertCheckInterval": keyCertCheck,
	"PublicURL": keyPublicURL, "UpdateServerURL": keyUpdateServerURL, "AdminAddr": keyAdminListen,
	"Prefix": `web-router-service."` + routeService + `"`,
}

// goNames rewrites the server.Config field names a reason may mention.
var goNames = strings.NewReplacer("MaxBodyBytes", keyMaxBodyBytes, "MaxInflightBytes", keyMaxInflight,
	"HTTPSAddr", "webserver.ssl-port", "HTTPAddr", "webserver.port", "ClientAuth", "webserver.client-auth",
	"CertFile", "webserver.ssl-cert", "KeyFile", "webserver.ssl-key", "Database.URL", keyDatabase,
	"DataDir", keyDataDirectory)

// explain rewrites a *server.ConfigError to name the setting as the
// operator writes it, with the file and line that set it, instead of a
// server.Config field. The file the setting names (a certificate, say)
// is said once, in the reason. Other errors are returned as they are.
func (t tk) explain(err error, dataDir string) error {
	var ce *server.ConfigError
	if !errors.As(err, &ce) {
		return t.explainDataDir(err, dataDir)
	}
	key, ok := settingOf[ce.Field]
	if !ok {
		return err
	}
	reason := goNames.Replace(ce.Reason)
	switch i := strings.Index(reason, ce.File+":"); {
	case ce.File == "":
	case i >= 0:
		reason = reason[i:] // drop what precedes the path ("server: whitelist")
	default:
		reason = ce.File + ": " + reason
	}
	return t.fail(key, reason, err)
}

// explainDataDir names analytics.data-directory for a file system error
// on the data directory or the way to it (a parent that is a file, say).
func (t tk) explainDataDir(err error, dataDir string) error {
	var pe *fs.PathError
	if dataDir == "" || !errors.As(err, &pe) {
		return err
	}
	if rel, rerr := filepath.Rel(pe.Path, dataDir); rerr != nil || strings.HasPrefix(rel, "..") {
		if filepath.Dir(pe.Path) != dataDir { // the store file itself
			return err
		}
	}
	return t.fail(keyDataDirectory, pe.Op+" "+pe.Path+": "+pe.Err.Error(), err)
}

// startConfigured creates and starts the service of the configuration at
// path. On failure the error names the setting at fault, and a data
// directory the attempt created is removed again.
func startConfigured(ctx context.Context, path string, log *slog.Logger) (*server.Server, server.Config, error) {
	t, cfg, err := load(path, log)
	if err != nil {
		return nil, cfg, err
	}
	if err := checkOpenFiles(cfg); err != nil {
		return nil, cfg, err
	}
	cfg.Logger = log
	undo := newDirs(cfg.DataDir)
	srv, err := interruptible(ctx, "opening the store and the whitelist", func() (*server.Server, error) { return server.New(cfg) })
	if err == nil {
		_, err = interruptible(ctx, "reading the TLS files", func() (struct{}, error) { return struct{}{}, srv.Listen(ctx) })
		if err != nil && ctx.Err() == nil { // else Listen may still hold the server: Close would wait for it
			_ = srv.Close(context.WithoutCancel(ctx))
		}
	}
	if err != nil {
		if ctx.Err() == nil { // else the abandoned step may still be creating them
			undo()
		}
		return nil, cfg, t.explain(err, cfg.DataDir)
	}
	return srv, cfg, nil
}

// newDirs notes which of dir and its parents do not exist yet; the
// returned function removes them again, with the store file and its log
// the service creates there, when they hold nothing else. "" needs no undoing.
func newDirs(dir string) (undo func()) {
	var created []string
	for d := dir; d != "" && d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
			break
		}
		created = append(created, d)
	}
	return func() {
		if len(created) == 0 {
			return
		}
		_ = os.Remove(filepath.Join(dir, boltstore.FileName))
		_ = os.RemoveAll(boltstore.LogDir(filepath.Join(dir, boltstore.FileName)))
		for _, d := range created {
			if os.Remove(d) != nil {
				return // holds something else: leave it and its parents
			}
		}
	}
}
