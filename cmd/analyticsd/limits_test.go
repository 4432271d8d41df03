package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLimitKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.conf")
	writeConf(t, path, `analytics: { data-directory: /tmp/x, max-inflight-bytes: 4194304, body-timeout: 3s }
webserver: { port: 0, max-connections: 300, request-header-max-size: 16384 }`)
	cfg, err := loadConfig(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxInflightBytes != 4<<20 || cfg.MaxConnections != 300 || cfg.BodyTimeout != 3*time.Second || cfg.MaxHeaderBytes != 16<<10 {
		t.Errorf("MaxInflightBytes %d, MaxConnections %d, BodyTimeout %v, MaxHeaderBytes %d; want 4194304, 300, 3s, 16384",
			cfg.MaxInflightBytes, cfg.MaxConnections, cfg.BodyTimeout, cfg.MaxHeaderBytes)
	}
}

func TestLimitKeyErrors(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ conf, want string }{
		"inflight zero": {`analytics: { data-directory: /tmp/x, max-inflight-bytes: 0 }
webserver.port: 0`, "analytics.max-inflight-bytes: 0 is not a positive number of bytes"},
		"inflight below body": {`analytics: { data-directory: /tmp/x, max-inflight-bytes: 1000 }
webserver.port: 0`, "analytics.max-inflight-bytes: 1000 is less than analytics.max-body-bytes (1048576)"},
		"body timeout zero": {`analytics: { data-directory: /tmp/x, body-timeout: 0s }
webserver.port: 0`, "analytics.body-timeout: 0s is not a positive duration"},
		"connections negative": {`analytics.data-directory: /tmp/x
webserver: { port: 0, max-connections: -5 }`, "webserver.max-connections: -5 is not a positive number of connections"},
		"connections not a number": {`analytics.data-directory: /tmp/x
webserver: { port: 0, max-connections: many }`, "webserver.max-connections"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, tc.conf)
			_, err := loadConfig(path, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and %q", err, path, tc.want)
			}
		})
	}
}

// TestCostLimitKeys: analytics.max-fields and
// analytics.max-client-store-bytes set the server's bounds, and a bad
// value names its key.
func TestCostLimitKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.conf")
	writeConf(t, path, `analytics: { data-directory: /tmp/x, max-fields: 500, max-client-store-bytes: 1048576 }
webserver.port: 0`)
	var warnings bytes.Buffer
	cfg, err := loadConfig(path, slog.New(slog.NewTextHandler(&warnings, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if warnings.Len() > 0 {
		t.Errorf("the settings are known, yet: %s", warnings.String())
	}
	if cfg.MaxFields != 500 || cfg.MaxClientStoreBytes != 1<<20 {
		t.Errorf("MaxFields %d, MaxClientStoreBytes %d; want 500, 1048576", cfg.MaxFields, cfg.MaxClientStoreBytes)
	}
	bad := filepath.Join(dir, "bad.conf")
	writeConf(t, bad, `analytics: { data-directory: /tmp/x, max-fields: 0 }
webserver.port: 0`)
	if _, err := loadConfig(bad, nil); err == nil || !strings.Contains(err.Error(), "analytics.max-fields: 0 is not a positive number of JSON values") {
		t.Errorf("max-fields 0: %v", err)
	}
}
