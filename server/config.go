package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/analytics-client/analytics/internal/confcheck"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/opsview"
	"github.com/analytics-client/analytics/server/whitelist"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultPrefix            = "/analytics"
	DefaultMaxBodyBytes      = 1 << 20
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = time.Minute
	DefaultWriteTimeout      = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultCheckInInterval   = 24 * time.Hour
	DefaultMaxInflightBytes  = 32 << 20
	DefaultMaxConnections    = 2048
	DefaultMaxStreams        = 100
	DefaultBodyTimeout       = 10 * time.Second
	DefaultMaxHeaderBytes    = 8 << 10
	DefaultConfDir           = "/etc/puppetlabs"
	DefaultMaxStoreBytes     = 1 << 30
	DefaultCertCheckInterval = 5 * time.Second

	// RefusalLogInterval is how often a refused request is logged per
	// certname and rule; the others are counted in the next line.
	RefusalLogInterval = time.Minute

	// WhitelistFetchTimeout bounds the whitelist fetch at start.
	WhitelistFetchTimeout = 5 * time.Second
)

// ClientAuth is the TLS listener's client certificate policy, named as in
// Trapperkeeper's webserver.client-auth.
type ClientAuth string

// The client certificate policies.
const (
	// ClientAuthWant asks for a client certificate and verifies it when
	// one is sent; a client without one is still served. The JVM default.
	ClientAuthWant ClientAuth = "want"
	// ClientAuthNeed fails the handshake of a client without a valid
	// certificate.
	ClientAuthNeed ClientAuth = "need"
	// ClientAuthNone does not ask for a client certificate.
	ClientAuthNone ClientAuth = "none"
)

// TLSFiles names the PEM files of the HTTPS listener.
type TLSFiles struct {
	CertFile string // webserver.ssl-cert
	KeyFile  string // webserver.ssl-key
	CAFile   string // webserver.ssl-ca-cert: verifies client certificates
	// CRLFile is webserver.ssl-crl-path: one or more PEM CRLs, each signed
	// by a CA in CAFile. A client certificate they revoke is refused
	// during the handshake. Empty means no revocation checking.
	CRLFile    string
	ClientAuth ClientAuth // webserver.client-auth; empty means want
}

// CheckInConfig describes the product reported to the upstream telemetry
// server and how often the service checks in.
type CheckInConfig struct {
	// Product is product.name.artifact-id, e.g. "puppetserver". Empty
	// means check-in is skipped and the stored entries are discarded, as
	// the JVM service does.
	Product string
	// Version is the product version (the content of product.version-path).
	Version string
	// Certname is global.hostname; its SHA-512 is the host-id.
	Certname string
	// CAFile is global.certs.ssl-ca-cert; the SHA-512 of its text is the
	// site-id. It is read at each check-in.
	CAFile string
	// ConfDir is product.conf-dir, where the file analytics-opt-out turns
	// check-in off. Empty means DefaultConfDir.
	ConfDir string
	// Interval between automatic check-ins. Zero means
	// DefaultCheckInInterval; negative means none (POST
	// {prefix}/commands/send still checks in).
	Interval time.Duration
}

// Config configures a Server. The zero value of each field is a documented
// default; only DataDir is required.
type Config struct {
	// DataDir is analytics.data-directory; the store is the file
	// analytics.db inside it. Created when missing. Required unless
	// Database selects PostgreSQL.
	DataDir string

	// Database, when its URL is set, keeps the entries in PostgreSQL
	// instead of DataDir, shared by every replica that uses the same
	// database.
	Database DatabaseConfig

	// Prefix is the URL prefix the API is mounted under. Empty means
	// DefaultPrefix.
	Prefix string

	// PublicURL, when set, is the entrypoint URL clients can reach (for a
	// service behind a proxy); the entrypoint's command ids are built from
	// it instead of the request's scheme, host and port.
	PublicURL string

	// Version is reported as version.server by the entrypoint.
	Version string

	// HTTPAddr is the plain HTTP listener address (webserver.host:port).
	// Empty means none. Port 0 picks a free port.
	HTTPAddr string
	// HTTPSAddr is the TLS listener address (webserver.ssl-host:ssl-port).
	// Empty means none. Port 0 picks a free port.
	HTTPSAddr string
	// TLS names the certificate files; required with HTTPSAddr. They are
	// loaded by Listen and read again when they change (see
	// CertCheckInterval and ReloadCertificates), with no restart.
	TLS TLSFiles
	// CertCheckInterval is how often, at most, a handshake looks at the
	// TLS files for a change. Zero means DefaultCertCheckInterval;
	// negative means only ReloadCertificates reads them again.
	CertCheckInterval time.Duration

	// AdminAddr is analytics.admin-listen: a plain HTTP listener for local
	// users serving /status, /checkin/preview, /view and /metrics without
	// authentication. It must be a loopback address (127.0.0.1, ::1 or
	// localhost); anything else is refused. Empty means none.
	AdminAddr string

	// AccessLog, when true, logs every request at Info: request id,
	// certname (or -), method, path, status, bytes and duration.
	AccessLog bool

	// MaxBodyBytes limits a command's body; larger bodies get 413. Zero
	// means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxInflightBytes limits the request-body bytes held at once by all
	// commands being read or answered (analytics.max-inflight-bytes);
	// past it a command gets 503 with Retry-After at once. Zero means
	// DefaultMaxInflightBytes.
	MaxInflightBytes int64
	// BodyTimeout bounds the wait for a command's body, counted from the
	// moment its handler starts reading it; a body still incomplete then
	// gets 408, so a client trickling a body holds a connection far less
	// than ReadTimeout. Zero means DefaultBodyTimeout.
	BodyTimeout time.Duration
	// MaxConnections limits the open connections of each listener
	// (webserver.max-connections). At the limit, a new connection closes
	// the oldest one that has no request in progress (idle between
	// requests, or connected and silent), or is itself closed when every
	// connection is busy. Zero means DefaultMaxConnections.
	MaxConnections int
	// MaxStreams limits the concurrent requests (streams) of one HTTP/2
	// connection. Zero means DefaultMaxStreams.
	MaxStreams int
	// MaxHeaderBytes limits a request's header
	// (webserver.request-header-max-size, Jetty's 8 KiB by default);
	// net/http answers a larger one 431. Zero means
	// DefaultMaxHeaderBytes.
	MaxHeaderBytes int

	// MaxStoreBytes is analytics.max-store-bytes: the room the stored
	// entries may take (pages in use in the store file). When it is
	// reached, commands get 507 with Retry-After and nothing stored is
	// dropped; a check-in frees room. Zero means DefaultMaxStoreBytes;
	// negative means no limit.
	MaxStoreBytes int64

	// Whitelist, when non-nil, is the whitelist at start, and neither
	// WhitelistFile nor the update server is consulted.
	Whitelist whitelist.List
	// WhitelistFile is analytics.whitelist-file: a JSON whitelist read by
	// New. When set, the update server's whitelist is not fetched at start.
	WhitelistFile string

	// UpdateServerURL is where check-ins POST: product.update-server-url,
	// or the JVM's default https://updates.puppet.com when that is unset
	// (analyticsd fills it in). Empty means no upstream: check-ins fail.
	UpdateServerURL string
	// FetchWhitelist, when true, fetches the whitelist from
	// {UpdateServerURL}/whitelist at Listen, unless Whitelist or
	// WhitelistFile is set or the opt-out file exists. The JVM service
	// fetches one only when product.update-server-url is configured, so
	// analyticsd sets this only then.
	FetchWhitelist bool
	// CheckIn describes the product and the check-in schedule.
	CheckIn CheckInConfig
	// HTTPClient makes the upstream requests. Nil means a client with the
	// system roots.
	HTTPClient *http.Client

	// Listener timeouts; zero means the Default* constant of the same name.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the graceful stop Serve makes when its
	// context ends. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// Authorization holds the rules that decide who may call what, in the
	// trapperkeeper-authorization format (see authz.Rule). Nil means
	// DefaultRules for Prefix and the service's own certname
	// (CheckIn.Certname, or else the CN of the TLS certificate); an empty
	// non-nil slice refuses every request.
	Authorization []authz.Rule

	// Middleware, when set, wraps the API handler on the listeners (for
	// logging, metrics, or a test observing requests). ServeHTTP itself is
	// not wrapped.
	Middleware func(http.Handler) http.Handler

	// Logger receives the service's log lines. Nil means slog.Default().
	Logger *slog.Logger

	// Now is the clock that stamps entries. Nil means time.Now.
	Now func() time.Time

	// onStoreCommit is passed to the store as store.Options.OnCommit;
	// tests set it through export_test.go to see the sync of each commit.
	onStoreCommit func(store.CommitInfo)
}

// ConfigError reports a Config that New cannot use: Field names the field,
// File the file involved if any, Reason what is wrong, Err the underlying
// error if any. Its message reads as the client's analytics.ConfigError's.
type ConfigError struct {
	Field  string // the Config field, e.g. "TLS.CertFile"
	File   string // the file involved, if any
	Reason string
	Err    error // the underlying error, if any
}

func (e *ConfigError) Error() string {
	return (&confcheck.Error{Field: e.Field, File: e.File, Reason: e.Reason}).Error()
}

// Unwrap returns the underlying error, if any.
func (e *ConfigError) Unwrap() error { return e.Err }

// configError turns the shared checks' error into a *ConfigError; other
// errors pass unchanged.
func configError(err error) error {
	var ce *confcheck.Error
	if errors.As(err, &ce) {
		return &ConfigError{Field: ce.Field, File: ce.File, Reason: ce.Reason, Err: ce.Err}
	}
	return err
}

// withDefaults returns c with defaults filled in, or the first problem.
func (c Config) withDefaults() (Config, error) {
	if c.DataDir == "" && c.Database.URL == "" {
		return c, &ConfigError{Field: "DataDir", Reason: "is required (or Database.URL)"}
	}
	prefix, err := cleanPrefix(c.Prefix)
	if err != nil {
		return c, err
	}
	c.Prefix = prefix
	if c.PublicURL != "" {
		if err := checkURL("PublicURL", c.PublicURL); err != nil {
			return c, err
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if c.UpdateServerURL != "" {
		if err := checkURL("UpdateServerURL", c.UpdateServerURL); err != nil {
			return c, err
		}
	}
	if err := c.TLS.check(c.HTTPSAddr != ""); err != nil {
		return c, err
	}
	if c.AdminAddr != "" {
		if err := configError(opsview.CheckAdminAddr(c.AdminAddr)); err != nil {
			return c, err
		}
	}
	c.fillDefaults()
	return c, c.checkLimits()
}

func (c *Config) fillDefaults() {
	setDefault(&c.MaxBodyBytes, DefaultMaxBodyBytes)
	setDefault(&c.MaxStoreBytes, DefaultMaxStoreBytes)
	setDefault(&c.MaxInflightBytes, DefaultMaxInflightBytes)
	setDefault(&c.BodyTimeout, DefaultBodyTimeout)
	setDefault(&c.MaxConnections, DefaultMaxConnections)
	setDefault(&c.MaxStreams, DefaultMaxStreams)
	setDefault(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&c.ReadTimeout, DefaultReadTimeout)
	setDefault(&c.WriteTimeout, DefaultWriteTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.ShutdownTimeout, DefaultShutdownTimeout)
	setDefault(&c.CheckIn.Interval, DefaultCheckInInterval)
	setDefault(&c.CertCheckInterval, DefaultCertCheckInterval)
	if c.CheckIn.ConfDir == "" {
		c.CheckIn.ConfDir = DefaultConfDir
	}
	if c.TLS.ClientAuth == "" {
		c.TLS.ClientAuth = ClientAuthWant
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
}

func setDefault[T int | int64 | time.Duration](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

func cleanPrefix(p string) (string, error) {
	if p == "" {
		return DefaultPrefix, nil
	}
	if !strings.HasPrefix(p, "/") {
		return "", &ConfigError{Field: "Prefix", Reason: fmt.Sprintf("%q does not start with /", p)}
	}
	return strings.TrimRight(p, "/"), nil
}

func checkURL(field, raw string) error {
	_, err := confcheck.URL(field, raw)
	return configError(err)
}

// Valid reports whether a is want, need, none or "" (which means want).
// It is the one check of a client-auth setting, the service's and
// analyticsd's.
func (a ClientAuth) Valid() bool {
	switch a {
	case "", ClientAuthWant, ClientAuthNeed, ClientAuthNone:
		return true
	}
	return false
}

func (t TLSFiles) check(listening bool) error {
	if !t.ClientAuth.Valid() {
		return &ConfigError{Field: "TLS.ClientAuth", Reason: fmt.Sprintf("%q is not want, need or none", t.ClientAuth)}
	}
	if !listening {
		return nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return &ConfigError{Field: "TLS", Reason: "CertFile and KeyFile are required with HTTPSAddr"}
	}
	if t.CAFile == "" && t.ClientAuth != ClientAuthNone {
		return &ConfigError{Field: "TLS.CAFile", Reason: "is required unless ClientAuth is none"}
	}
	if t.CRLFile != "" && t.ClientAuth == ClientAuthNone {
		return &ConfigError{Field: "TLS.CRLFile", Reason: "has no use when ClientAuth is none (no client certificate is asked for)"}
	}
	return nil
}
