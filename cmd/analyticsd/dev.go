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
	"github.com/analytics-client/analytics/internal/devservice"
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
	b, err := devservice.Certificates(dir)
	if err != nil {
		return err
	}
	srv, note, err := listenDev(ctx, devConfig(dir, b, log), f.listen)
	if err != nil {
		return err
	}
	clientCfg := devservice.ClientConfig(srv.URL(), b)
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

// devConfig is devservice's configuration (a client certificate needed
// from every client; the generated one, in client.json, may call the
// operator endpoints too) with the admin listener and the version.
func devConfig(dir string, b *pki.Bundle, log *slog.Logger) server.Config {
	cfg := devservice.Config(dir, "", b, log)
	cfg.AdminAddr = devAdminAddr
	cfg.Version = version()
	return cfg
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
	return devservice.Listen(ctx, cfg)
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
