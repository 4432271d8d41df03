package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/analytics-client/analytics/server"
)

// The analytics.database section, in the shape PuppetDB's database section
// has: subname "//host:port/dbname", username, password or password-file,
// and our ssl-mode, ssl-ca-cert and maximum-pool-size.
const (
	keyDatabase = "analytics.database"
	keyDBSub    = keyDatabase + ".subname"
)

// database reads analytics.database into cfg.Database; absent means the
// embedded store.
func (t tk) database(cfg *server.Config) error {
	if v, ok := t.c.Get(splitKey(keyDatabase)...); !ok || v == nil {
		return nil
	}
	vals := map[string]string{}
	for _, k := range []string{"subname", "username", "password", "password-file", "ssl-mode", "ssl-ca-cert"} {
		get := t.str
		if k == "password-file" || k == "ssl-ca-cert" {
			get = t.filePath // relative to the file that sets it
		}
		s, err := get(keyDatabase + "." + k)
		if err != nil {
			return err
		}
		vals[k] = s
	}
	u, err := t.databaseURL(vals)
	if err != nil {
		return err
	}
	n, set, err := t.int(keyDatabase + ".maximum-pool-size")
	if err != nil {
		return err
	}
	if set && (n <= 0 || n > 1000) {
		return t.fail(keyDatabase+".maximum-pool-size", fmt.Sprintf("%d is not a pool size between 1 and 1000", n), nil)
	}
	cfg.Database = server.DatabaseConfig{URL: u, PoolSize: int(n)}
	return nil
}

// databaseURL builds the connection URL from the section's values.
func (t tk) databaseURL(v map[string]string) (string, error) {
	sub, ok := strings.CutPrefix(v["subname"], "//")
	if !ok {
		return "", t.fail(keyDBSub, fmt.Sprintf("%q is not //host:port/dbname", v["subname"]), nil)
	}
	u, err := url.Parse("postgres://" + sub)
	if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return "", t.fail(keyDBSub, fmt.Sprintf("%q is not //host:port/dbname", v["subname"]), nil)
	}
	password := v["password"]
	if f := v["password-file"]; f != "" {
		if password != "" {
			return "", t.fail(keyDatabase+".password-file", "is set together with password: keep one", nil)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return "", t.fail(keyDatabase+".password-file", "cannot read "+f, err)
		}
		password = strings.TrimRight(string(data), "\r\n")
	}
	switch {
	case v["username"] != "" && password != "":
		u.User = url.UserPassword(v["username"], password)
	case v["username"] != "":
		u.User = url.User(v["username"])
	}
	q := u.Query()
	if m := v["ssl-mode"]; m != "" {
		switch m {
		case "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
			q.Set("sslmode", m)
		default:
			return "", t.fail(keyDatabase+".ssl-mode", fmt.Sprintf("%q is not disable, allow, prefer, require, verify-ca or verify-full", m), nil)
		}
	}
	if ca := v["ssl-ca-cert"]; ca != "" {
		q.Set("sslrootcert", ca)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
