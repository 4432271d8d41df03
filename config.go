package analytics

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/analytics-client/analytics/internal/confcheck"
	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// DefaultTimeout bounds each call to the service when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// DefaultCertCheckInterval is how often, at most, a client looks at its
// SSL files for a change when Config.CertCheckInterval is zero.
const DefaultCertCheckInterval = tlsfiles.DefaultInterval

// Config says where the analytics service is and how to authenticate to it.
// Its JSON form uses the JVM library's key names, so the "analytics" section
// of a Trapperkeeper configuration decodes into it:
//
//	{"url": "https://puppet:8140/analytics",
//	 "ssl-opts": {"ssl-cert": "...", "ssl-key": "...", "ssl-ca-cert": "..."}}
type Config struct {
	// URL is the service's entrypoint, e.g. https://puppet:8140/analytics.
	// A plain http:// URL needs no SSL settings.
	URL string `json:"url"`

	// SSL holds the client certificate, its key and the CA bundle that
	// signs the service's certificate. An https:// URL needs it (the
	// service asks for a client certificate), unless HTTPClient carries
	// its own TLS settings; New refuses one without. The files are read by
	// New and again whenever they change (see CertCheckInterval), so a
	// renewed certificate or a rotated CA bundle is used from the next
	// connection on.
	SSL *SSLOpts `json:"ssl-opts,omitempty"`

	// CertCheckInterval is how often, at most, a new connection looks at
	// the SSL files for a change; a handshake failure looks at once.
	// Zero means DefaultCertCheckInterval; negative means only after a
	// handshake failure.
	CertCheckInterval time.Duration `json:"-"`

	// HTTPClient, when set, is used as is: its transport must already carry
	// any TLS settings, and SSL is ignored. Nil means a keep-alive client
	// built from SSL.
	HTTPClient *http.Client `json:"-"`

	// Logger receives the client's log lines. Nil means slog.Default().
	Logger *slog.Logger `json:"-"`

	// Timeout bounds each call (entrypoint fetch plus command, TLS
	// handshakes included) that has no earlier context deadline. Zero
	// means DefaultTimeout.
	Timeout time.Duration `json:"-"`
}

// SSLOpts names the PEM files for mutual TLS: the JVM library's ssl-opts.
type SSLOpts struct {
	CertFile string `json:"ssl-cert"`
	KeyFile  string `json:"ssl-key"`
	CAFile   string `json:"ssl-ca-cert"`
	// CRLFile, when set, names one or more PEM CRLs, each signed by a CA
	// in CAFile (Puppet's hostcrl): a service whose certificate they
	// revoke is refused with ErrRevoked. It is read again when it
	// changes, like the other files. Empty means no revocation checking,
	// as in the JVM library.
	CRLFile string `json:"ssl-crl-path,omitempty"`
}

// ConfigError reports a configuration that cannot be used (New,
// LoadConfig), naming the setting, the file involved (if any) and why.
type ConfigError struct {
	// Field names the setting, e.g. "ssl-opts.ssl-cert".
	Field string
	// File is the file involved, if any.
	File string
	// Reason says what is wrong.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *ConfigError) Error() string {
	return (&confcheck.Error{Field: e.Field, File: e.File, Reason: e.Reason}).Error()
}

// Unwrap returns the underlying error, if any.
func (e *ConfigError) Unwrap() error { return e.Err }

// parseURL checks that raw is an absolute http or https URL, with the
// check the service applies to its own URLs.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, &ConfigError{Field: "url", Reason: "is required"}
	}
	u, err := confcheck.URL("url", raw)
	var ce *confcheck.Error
	if errors.As(err, &ce) {
		return nil, &ConfigError{Field: ce.Field, File: ce.File, Reason: ce.Reason, Err: ce.Err}
	}
	return u, err
}

// certificates loads the PEM files named by ssl into a Reloader, which
// reads them again when they change. Each failure names the setting, the
// file and what is wrong with it.
func (ssl *SSLOpts) certificates(opts tlsfiles.Options) (*tlsfiles.Reloader, error) {
	rl, err := tlsfiles.New(tlsfiles.Files{CertFile: ssl.CertFile, KeyFile: ssl.KeyFile, CAFile: ssl.CAFile, CRLFile: ssl.CRLFile}, opts)
	if err != nil {
		var fe *tlsfiles.FileError
		if !errors.As(err, &fe) {
			return nil, err
		}
		field := map[tlsfiles.Role]string{tlsfiles.RoleCert: "ssl-opts.ssl-cert", tlsfiles.RoleKey: "ssl-opts.ssl-key",
			tlsfiles.RoleCA: "ssl-opts.ssl-ca-cert", tlsfiles.RoleCRL: "ssl-opts.ssl-crl-path"}[fe.Role]
		return nil, &ConfigError{Field: field, File: fe.File, Reason: fe.Reason, Err: err}
	}
	return rl, nil
}
