package analyticstest

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
	"github.com/analytics-client/analytics/server/whitelist"
)

// Option changes how NewServer starts the service.
type Option func(*options)

type options struct {
	dataDir    string
	addr       string
	whitelist  whitelist.List
	clientAuth server.ClientAuth
	plainHTTP  bool
	rules      []authz.Rule
	logger     *slog.Logger
	now        func() time.Time
	middleware func(http.Handler) http.Handler
}

func defaultOptions() options {
	return options{addr: "127.0.0.1:0", clientAuth: server.ClientAuthNeed}
}

// WithWhitelist starts the service with a whitelist.
func WithWhitelist(wl whitelist.List) Option {
	return func(o *options) { o.whitelist = wl }
}

// WithClientAuth sets the TLS client certificate policy; the default is
// server.ClientAuthNeed.
func WithClientAuth(a server.ClientAuth) Option {
	return func(o *options) { o.clientAuth = a }
}

// WithDataDir keeps the store and the certificates in dir instead of a new
// t.TempDir(), so that a second server started on the same dir sees what
// the first stored and accepts the same client certificate.
func WithDataDir(dir string) Option {
	return func(o *options) { o.dataDir = dir }
}

// WithAddr listens on addr instead of 127.0.0.1:0, e.g. to restart on the
// port a client is already configured with.
func WithAddr(addr string) Option {
	return func(o *options) { o.addr = addr }
}

// WithPlainHTTP serves plain HTTP instead of TLS; Config then has no SSL
// settings.
func WithPlainHTTP() Option {
	return func(o *options) { o.plainHTTP = true }
}

// WithLogger sends the service's log lines to l. The default logs warnings
// and errors to the test log.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// WithMiddleware wraps the service's handler in mw, e.g. to look at the
// client certificate each request came with (r.TLS).
func WithMiddleware(mw func(http.Handler) http.Handler) Option {
	return func(o *options) { o.middleware = mw }
}

// WithClock stamps entries with now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}

// WithAuthorization decides requests with rules instead of the default:
// over TLS, server.DefaultRules with the client certificate of Config and
// Client allowed the operator endpoints (collections, commands/send);
// over plain HTTP, which identifies no client, every request is allowed.
func WithAuthorization(rules []authz.Rule) Option {
	return func(o *options) { o.rules = rules }
}
