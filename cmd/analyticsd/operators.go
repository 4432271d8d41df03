package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/analytics-client/analytics/internal/confcheck"
	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/opsview"
)

// Settings of the operator endpoints (our extensions).
const (
	keyAdminListen = "analytics.admin-listen"
	keyAccessLog   = "analytics.access-log"
	// devAdminAddr is the development service's admin listener: a free
	// port on loopback.
	devAdminAddr = "127.0.0.1:0"
)

// operators reads the admin listener's address and whether requests are
// logged.
func (t tk) operators(cfg *server.Config) error {
	var err error
	if cfg.AdminAddr, err = t.str(keyAdminListen); err != nil {
		return err
	}
	if cfg.AdminAddr != "" {
		var ce *confcheck.Error
		if err := opsview.CheckAdminAddr(cfg.AdminAddr); errors.As(err, &ce) {
			return t.fail(keyAdminListen, ce.Reason, err)
		}
	}
	if cfg.AccessLog, _, err = t.c.Bool(splitKey(keyAccessLog)...); err != nil {
		return err
	}
	return nil
}

// printAdmin tells the user where the operator page is.
func printAdmin(w io.Writer, srv *server.Server) {
	if u := srv.AdminURL(); u != "" {
		fmt.Fprintf(w, "operator page (local users, no certificate): %s\n", u)
	}
}
