package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"syscall"

	"github.com/analytics-client/analytics"
	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/server"
)

// runDev runs the development service: HTTPS on 127.0.0.1 only, with a
// throwaway CA created once under the data directory, and the client
// settings printed and written to client.json.
func runDev(ctx context.Context, f flags, log *slog.Logger, stdout io.Writer) error {
	dir := f.dataDir
	if dir == "" {
		if dir = devenv.DefaultDir(); dir == "" {
			return errors.New("development service: no user cache directory for the data directory ($XDG_CACHE_HOME or $HOME unset); pass --data-dir")
		}
	}
	if err := privateDir(dir); err != nil {
		return err
	}
	b, err := pki.LoadOrGenerate(filepath.Join(dir, devenv.PKIDir))
	if err != nil {
		return fmt.Errorf("development certificates in %s: %w", dir, err)
	}
	srv, note, err := listenDev(ctx, devConfig(dir, b, log), f.listen)
	if err != nil {
		return err
	}
	clientCfg := analytics.Config{URL: srv.URL(),
		SSL: &analytics.SSLOpts{CertFile: b.ClientCert, KeyFile: b.ClientKey, CAFile: b.CACert}}
	clientPath := filepath.Join(dir, devenv.ClientConfigFile)
	if err := devenv.WriteClientConfig(clientPath, clientCfg, note); err != nil {
		_ = srv.Close(context.WithoutCancel(ctx))
		return err
	}
	printDev(stdout, clientCfg, note, clientPath, dir)
	printAdmin(stdout, srv)
	stopReload := reloadOnHangup(srv, log)
	defer stopReload()
	log.Info("development analytics service started", "url", srv.URL(), "data-directory", dir)
	return serve(ctx, srv, log)
}

// devConfig needs a client certificate from every client, and lets the
// generated client certificate (the one in client.json) call the operator
// endpoints as well as the service's own certname.
func devConfig(dir string, b *pki.Bundle, log *slog.Logger) server.Config {
	return server.Config{
		DataDir: dir,
		TLS: server.TLSFiles{CertFile: b.ServerCert, KeyFile: b.ServerKey, CAFile: b.CACert,
			ClientAuth: server.ClientAuthNeed},
		Authorization: server.DefaultRules(server.DefaultPrefix, pki.ServerCommonName, pki.ClientCommonName),
		AdminAddr:     devAdminAddr,
		CheckIn:       server.CheckInConfig{Interval: -1}, // no upstream: keep what arrives
		Logger:        log,
		Version:       version(),
	}
}

// listenDev binds addr, or devenv.DefaultAddr and then a free port on
// 127.0.0.1 when the default is taken; note then says which port it chose.
func listenDev(ctx context.Context, cfg server.Config, addr string) (srv *server.Server, note string, err error) {
	fallback := addr == ""
	if fallback {
		addr = devenv.DefaultAddr
	}
	srv, err = listenOn(ctx, cfg, addr)
	if !fallback || !errors.Is(err, syscall.EADDRINUSE) {
		return srv, "", err
	}
	if srv, err = listenOn(ctx, cfg, "127.0.0.1:0"); err != nil {
		return nil, "", err
	}
	note = fmt.Sprintf("port %s was taken; this service listens on port %d", port(addr), srv.HTTPSAddr().(*net.TCPAddr).Port)
	cfg.Logger.Info("default port taken; using a free one", "default", addr, "addr", srv.HTTPSAddr().String())
	return srv, note, nil
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

func listenOn(ctx context.Context, cfg server.Config, addr string) (*server.Server, error) {
	cfg.HTTPSAddr = addr
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

// printDev tells the user how to reach the service. The first line names
// the URL, and the port the service chose when the default was taken.
func printDev(w io.Writer, c analytics.Config, note, clientPath, dir string) {
	first := "analytics development service at " + c.URL
	if note != "" {
		first += " (" + note + ")"
	}
	fmt.Fprintf(w, `%s
  url:         %s
  ssl-cert:    %s
  ssl-key:     %s
  ssl-ca-cert: %s
client config: %s
data directory: %s
try: curl --cacert %s --cert %s --key %s %s
`, first, c.URL, c.SSL.CertFile, c.SSL.KeyFile, c.SSL.CAFile, clientPath, dir,
		c.SSL.CAFile, c.SSL.CertFile, c.SSL.KeyFile, c.URL)
}
