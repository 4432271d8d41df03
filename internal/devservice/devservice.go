// Package devservice is the one bootstrap of the development service: the
// analytics service of package server on 127.0.0.1, behind mutual TLS with
// a throwaway CA kept in its data directory, reporting and operator
// endpoints open to the generated client certificate, no check-in.
//
// analyticsd runs it when it has no configuration (and analytics try runs
// that analyticsd as a child process, so the CLI links none of the
// service); analyticstest runs it in-process for tests. Where its files lie
// is package devenv's business, which the CLI reads without linking this
// package.
package devservice

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/authz"
)

// Certificates loads the throwaway CA and the certificates it signed from
// dir's devenv.PKIDir, creating them the first time.
func Certificates(dir string) (*pki.Bundle, error) {
	b, err := pki.LoadOrGenerate(filepath.Join(dir, devenv.PKIDir))
	if err != nil {
		return nil, fmt.Errorf("development certificates in %s: %w", dir, err)
	}
	return b, nil
}

// Config is the development service's configuration on data directory
// dir, listening on addr (127.0.0.1:0 for a free port): HTTPS with b's
// server certificate, a client certificate from b's CA required of every
// client, the default authorization rules extended to b's client
// certificate (which may then also read the collections and call the
// operator endpoints), and no check-in, as there is no upstream to check
// in with. Callers set what is theirs (AdminAddr, Version, Whitelist...)
// on the result.
func Config(dir, addr string, b *pki.Bundle, log *slog.Logger) server.Config {
	return server.Config{
		DataDir:   dir,
		HTTPSAddr: addr,
		TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert,
			ClientAuth: server.ClientAuthNeed},
		Authorization: Rules(),
		CheckIn:       server.CheckInConfig{Interval: -1},
		Logger:        log,
	}
}

// Rules are the development service's authorization rules: the default
// ones, with the generated client certificate as an operator.
func Rules() []authz.Rule {
	return server.DefaultRules(server.DefaultPrefix, pki.ServerCommonName, pki.ClientCommonName)
}

// Listen creates the service of cfg and binds its listeners. On failure
// nothing is left open.
func Listen(ctx context.Context, cfg server.Config) (*server.Server, error) {
	srv, err := server.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := srv.Listen(ctx); err != nil {
		_ = srv.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return srv, nil
}

// ClientConfig is the client configuration that reaches the service at url
// with b's client certificate.
func ClientConfig(url string, b *pki.Bundle) analytics.Config {
	return analytics.Config{URL: url,
		SSL: &analytics.SSLOpts{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}}
}
