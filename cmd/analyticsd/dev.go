package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
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
	srv, notes, err := listenDev(ctx, devConfig(dir, b, log), f.listen, f.allowRemote)
	if err != nil {
		return err
	}
	clientCfg := devservice.ClientConfig(srv.URL(), b)
	clientPath := filepath.Join(dir, devenv.ClientConfigFile)
	if err := devenv.WriteClientConfig(clientPath, clientCfg, notes.https); err != nil {
		_ = srv.Close(context.WithoutCancel(ctx))
		return err
	}
	printDev(stdout, clientCfg, notes.https, clientPath, dir)
	printAdmin(stdout, srv, notes.admin)
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
	cfg.AdminAddr = devenv.DefaultAdminAddr
	cfg.Version = version()
	return cfg
}

// freeLoopback asks the system for a free port on 127.0.0.1.
const freeLoopback = "127.0.0.1:0"

// devNotes say which default ports were taken and which the service
// chose instead; empty when it has its defaults.
type devNotes struct{ https, admin string }

// listenDev binds the HTTPS listener on addr, or devenv.DefaultAddr, and
// the admin listener on devenv.DefaultAdminAddr. A default port that is
// taken is replaced by a free one on 127.0.0.1, and the notes say which.
// Unless remote, the bound HTTPS address must be a loopback one (a name
// such as localhost could resolve elsewhere).
func listenDev(ctx context.Context, cfg server.Config, addr string, remote bool) (*server.Server, devNotes, error) {
	var notes devNotes
	httpsFallback := addr == ""
	if httpsFallback {
		addr = devenv.DefaultAddr
	}
	for {
		cfg.HTTPSAddr = addr
		srv, err := devservice.Listen(ctx, cfg)
		taken := portInUse(err)
		switch {
		case err == nil:
			if a := srv.HTTPSAddr().(*net.TCPAddr); !remote && !a.IP.IsLoopback() {
				_ = srv.Close(context.WithoutCancel(ctx))
				return nil, notes, fmt.Errorf("--listen %s is bound to %s, not a loopback address; add --allow-remote to listen there", addr, a)
			}
			if notes.https != "" {
				notes.https += fmt.Sprintf("; this service listens on port %d", srv.HTTPSAddr().(*net.TCPAddr).Port)
			}
			if notes.admin != "" {
				notes.admin += fmt.Sprintf("; the page is on port %d", srv.AdminAddr().(*net.TCPAddr).Port)
			}
			return srv, notes, nil
		case taken == cfg.AdminAddr && cfg.AdminAddr != freeLoopback:
			notes.admin = "port " + port(cfg.AdminAddr) + " was taken"
			cfg.Logger.Info("default operator page port taken; using a free one", "default", cfg.AdminAddr)
			cfg.AdminAddr = freeLoopback
		case taken == addr && httpsFallback && addr != freeLoopback:
			notes.https = "port " + port(addr) + " was taken"
			cfg.Logger.Info("default port taken; using a free one", "default", addr)
			addr = freeLoopback
		default:
			return nil, notes, err
		}
	}
}

// portInUse is the address a listen failed on because it is in use, ""
// when err is not that.
func portInUse(err error) string {
	var oe *net.OpError
	if !errors.Is(err, syscall.EADDRINUSE) || !errors.As(err, &oe) || oe.Addr == nil {
		return ""
	}
	return oe.Addr.String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// loopbackOnly refuses a development --listen address that is not on
// loopback: the development service's certificates and client.json are
// meant for this machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %s is not host:port (e.g. 127.0.0.1:14433)", addr)
	}
	if ip := net.ParseIP(host); strings.EqualFold(host, "localhost") || ip != nil && ip.IsLoopback() {
		return nil
	}
	what := "is not a loopback address"
	if host == "" || host == "0.0.0.0" || host == "::" {
		what = "means every interface"
	}
	return fmt.Errorf("--listen %s %s: the development service listens on loopback only (127.0.0.1, ::1 or localhost); add --allow-remote to listen there anyway", addr, what)
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
