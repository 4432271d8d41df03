package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDatabaseSection(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret/:@\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ section, url, err string }{
		"puppetdb shape": {`subname: "//db.example:5432/analytics", username: analytics, password-file: ` + pwFile + `, ssl-mode: verify-full, ssl-ca-cert: /etc/ca.pem, maximum-pool-size: 4`,
			"postgres://analytics:s3cret%2F%3A%40@db.example:5432/analytics?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem", ""},
		"plain":         {`subname: "//localhost/analytics"`, "postgres://localhost/analytics", ""},
		"no slashes":    {`subname: "localhost/analytics"`, "", `analytics.database.subname: "localhost/analytics" is not //host:port/dbname`},
		"no dbname":     {`subname: "//localhost:5432"`, "", "is not //host:port/dbname"},
		"both":          {`subname: "//h/d", password: a, password-file: ` + pwFile, "", "password-file: is set together with password"},
		"missing file":  {`subname: "//h/d", password-file: /nonexistent/pw`, "", "cannot read /nonexistent/pw"},
		"bad ssl-mode":  {`subname: "//h/d", ssl-mode: sometimes`, "", `ssl-mode: "sometimes" is not disable`},
		"bad pool size": {`subname: "//h/d", maximum-pool-size: 0`, "", "maximum-pool-size: 0 is not a pool size"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".conf")
			writeConf(t, path, "webserver.port: 0\nanalytics.database: {"+tc.section+"}\n")
			cfg, err := loadConfig(path, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %v, want one naming %s and %q", err, path, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Database.URL != tc.url {
				t.Fatalf("URL %q, want %q", cfg.Database.URL, tc.url)
			}
			if cfg.DataDir != "" {
				t.Fatalf("data directory %q without one configured", cfg.DataDir)
			}
		})
	}
}

func TestUnreachableDatabaseAtStart(t *testing.T) {
	// A port that nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	conf := writeTemp(t, "webserver.port: 0\nwebserver.host: 127.0.0.1\nanalytics.database.subname: \"//"+addr+"/analytics\"\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--config", conf}, &out, &errb)
	msg := errb.String()
	if code != 1 || !strings.Contains(msg, "database "+addr) || !strings.Contains(msg, "refused") {
		t.Fatalf("exit %d, stderr %q: want 1 and a message naming %s and the cause", code, msg, addr)
	}
	if strings.Count(strings.TrimSpace(msg), "\n") > 2 {
		t.Fatalf("more than a short message: %q", msg)
	}
}
