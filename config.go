package analytics

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"
)

// DefaultTimeout bounds each call to the service when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

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
	// signs the service's certificate. With an https:// URL and no SSL
	// block, the system roots verify the service and no client
	// certificate is sent.
	SSL *SSLOpts `json:"ssl-opts,omitempty"`

	// HTTPClient, when set, is used as is: its transport must already carry
	// any TLS settings, and SSL is ignored. Nil means a keep-alive client
	// built from SSL.
	HTTPClient *http.Client `json:"-"`

	// Logger receives the client's log lines. Nil means slog.Default().
	Logger *slog.Logger `json:"-"`

	// Timeout bounds each call (entrypoint fetch plus command) that has no
	// earlier context deadline. Zero means DefaultTimeout.
	Timeout time.Duration `json:"-"`
}

// SSLOpts names the PEM files for mutual TLS: the JVM library's ssl-opts.
type SSLOpts struct {
	CertFile string `json:"ssl-cert"`
	KeyFile  string `json:"ssl-key"`
	CAFile   string `json:"ssl-ca-cert"`
}

// ConfigError reports a configuration that New cannot use. File is set when
// the problem is with one of the PEM files.
type ConfigError struct {
	Field  string // the setting, e.g. "ssl-opts.ssl-cert"
	File   string // the file involved, if any
	Reason string
	Err    error // the underlying error, if any
}

func (e *ConfigError) Error() string {
	s := "analytics: config " + e.Field
	if e.File != "" {
		s += " (" + e.File + ")"
	}
	return s + ": " + e.Reason
}

func (e *ConfigError) Unwrap() error { return e.Err }

// parseURL checks that raw is an absolute http or https URL.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, &ConfigError{Field: "url", Reason: "is required"}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, &ConfigError{Field: "url", Reason: fmt.Sprintf("cannot parse %q", raw), Err: err}
	}
	if !u.IsAbs() || u.Host == "" {
		return nil, &ConfigError{Field: "url", Reason: fmt.Sprintf("%q is not an absolute URL (want https://host:port/analytics)", raw)}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, &ConfigError{Field: "url", Reason: fmt.Sprintf("scheme %q is not http or https", u.Scheme)}
	}
	return u, nil
}

// tlsConfig loads the PEM files named by ssl. Each failure names the file
// and what is wrong with it.
func (ssl *SSLOpts) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if ssl.CertFile != "" || ssl.KeyFile != "" {
		cert, err := loadKeyPair(ssl.CertFile, ssl.KeyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if ssl.CAFile != "" {
		pool, err := loadCAFile(ssl.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	if certFile == "" {
		return tls.Certificate{}, &ConfigError{Field: "ssl-opts.ssl-cert", Reason: "is required when ssl-key is set"}
	}
	if keyFile == "" {
		return tls.Certificate{}, &ConfigError{Field: "ssl-opts.ssl-key", Reason: "is required when ssl-cert is set"}
	}
	certPEM, err := readPEM("ssl-opts.ssl-cert", certFile, "CERTIFICATE")
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := readPEM("ssl-opts.ssl-key", keyFile, "PRIVATE KEY")
	if err != nil {
		return tls.Certificate{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, &ConfigError{Field: "ssl-opts.ssl-key", File: keyFile,
			Reason: "does not match the certificate in " + certFile + " or cannot be parsed: " + err.Error(), Err: err}
	}
	return cert, nil
}

func loadCAFile(caFile string) (*x509.CertPool, error) {
	data, err := readPEM("ssl-opts.ssl-ca-cert", caFile, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, &ConfigError{Field: "ssl-opts.ssl-ca-cert", File: caFile, Reason: "holds no certificate"}
	}
	return pool, nil
}

// readPEM reads a file and checks that it holds at least one PEM block whose
// type ends in want ("CERTIFICATE", or "PRIVATE KEY" for PKCS#1, PKCS#8 and
// EC keys alike).
func readPEM(field, path, want string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		reason := "cannot be read: " + err.Error()
		if errors.Is(err, os.ErrNotExist) {
			reason = "does not exist"
		}
		return nil, &ConfigError{Field: field, File: path, Reason: reason, Err: err}
	}
	rest := data
	found := false
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		found = true
		if len(block.Type) >= len(want) && block.Type[len(block.Type)-len(want):] == want {
			return data, nil
		}
	}
	if !found {
		return nil, &ConfigError{Field: field, File: path, Reason: "is not PEM"}
	}
	what := "a certificate"
	if want != "CERTIFICATE" {
		what = "a private key"
	}
	return nil, &ConfigError{Field: field, File: path, Reason: "holds no " + what[2:] + " (PEM, but not " + what + ")"}
}
