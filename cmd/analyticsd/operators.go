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

// printAdmin tells the user where the operator page is, and why it is
// not on its usual port when note says so.
func printAdmin(w io.Writer, srv *server.Server, note string) {
	if u := srv.AdminURL(); u != "" {
		if note != "" {
			note = " (" + note + ")"
		}
		fmt.Fprintf(w, "operator page (local users, no certificate): %s%s\n", u, note)
	}
}
