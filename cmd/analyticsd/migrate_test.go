package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
	"github.com/analytics-client/analytics/wire"
)

// migrateSite is a configured installation with real certificates: the
// webserver and product settings of a service, which the tests complete
// with a data directory or a database section.
type migrateSite struct {
	dir, base string
	bundle    *pki.Bundle
}

func newMigrateSite(t *testing.T) migrateSite {
	t.Helper()
	dir := t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	writeConf(t, filepath.Join(dir, "version"), "7.1.0\n")
	writeConf(t, filepath.Join(dir, "wl.json"), `{"ok":{"datatype":"event"},"f":{"datatype":"number"}}`)
	base := `webserver: {
    ssl-host: 127.0.0.1
    ssl-port: 0
    ssl-cert: ` + b.ServerCert + `
    ssl-key: ` + b.ServerKey + `
    ssl-ca-cert: ` + b.CACert + `
    client-auth: need
}
product: {
    name: { artifact-id: puppetserver, group-id: puppetlabs.packages }
    version-path: ` + filepath.Join(dir, "version") + `
    update-server-url: "http://127.0.0.1:1"
}
analytics.whitelist-file: ` + filepath.Join(dir, "wl.json") + `
# The client certificate's name, so that the test's client is the operator
# who may read the collections.
global.hostname: analytics-client
`
	return migrateSite{dir: dir, base: base, bundle: b}
}

// conf writes the site's configuration plus extra to name.
func (s migrateSite) conf(t *testing.T, name, extra string) string {
	t.Helper()
	path := filepath.Join(s.dir, name)
	writeConf(t, path, s.base+extra)
	return path
}

// databaseSection is an analytics.database section for a PostgreSQL URL.
func databaseSection(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	s := `analytics.database: { subname: "//` + u.Host + u.Path + `", username: "` + u.User.Username() + `"`
	if pw, ok := u.User.Password(); ok {
		s += `, password: "` + pw + `"`
	}
	if m := u.Query().Get("sslmode"); m != "" {
		s += `, ssl-mode: ` + m
	}
	return s + " }\n"
}

// send makes one request, with an idempotency key unless key is "".
func send(t *testing.T, c *http.Client, method, u, body, key string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(wire.HeaderIdempotencyKey, key)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// TestMigrateEndToEnd: a service on bbolt takes commands with idempotency
// keys and stops; analyticsd migrate copies its store into PostgreSQL; the
// service started on the database serves the same collections over mTLS,
// answers a client's retry with the first answer and a key's reuse with
// 422; the file is unchanged, and a second migrate is refused.
func TestMigrateEndToEnd(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	site := newMigrateSite(t)
	data := filepath.Join(site.dir, "data")
	boltConf := site.conf(t, "bolt.conf", "analytics.data-directory: "+data+"\n")
	pgConf := site.conf(t, "pg.conf", databaseSection(t, dbURL))
	tc, err := site.bundle.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, tc)

	svc := startRun(t, []string{"--config", boltConf, "--log-level", "info"}, true)
	first := map[string]string{}
	for i, body := range []string{`{"event":"ok","metadata":{"n":1}}`, `{"event":"ok","metadata":{"n":2}}`, `{"event":"ok","metadata":{"n":3}}`} {
		key := "event-" + string(rune('a'+i))
		code, reply := send(t, c, "POST", svc.url+"/commands/event", body, key)
		if code != 200 {
			t.Fatalf("event %d: %d %s", i, code, reply)
		}
		first[key] = reply
	}
	code, snapReply := send(t, c, "POST", svc.url+"/commands/snapshot", `{"fields":{"f":1}}`, "snap-a")
	if code != 200 {
		t.Fatalf("snapshot: %d %s", code, snapReply)
	}
	events := mustStatus(t, c, "GET", svc.url+"/collections/events", "", 200)
	snapshots := mustStatus(t, c, "GET", svc.url+"/collections/snapshots", "", 200)
	svc.stop(t)

	file := filepath.Join(data, boltstore.FileName)
	before, _ := os.ReadFile(file)
	var out, errb bytes.Buffer
	// Ctrl-C before the copy commits: nothing is copied, and a rerun works.
	interrupted, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(interrupted, []string{"migrate", "--from-bbolt", file, "--config", pgConf}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "interrupted: nothing was copied") {
		t.Fatalf("interrupted migrate: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"migrate", "--from-bbolt", file, "--config", pgConf}, &out, &errb); code != 0 {
		t.Fatalf("migrate: exit %d; stderr:\n%s", code, errb.String())
	}
	for _, want := range []string{"copied " + file, "events:           3\n", "snapshots:        1\n", "idempotency keys: 4 (0 expired, not copied)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("migrate output does not say %q:\n%s", want, out.String())
		}
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Errorf("migrate changed the file (%d bytes, was %d)", len(after), len(before))
	}

	pg := startRun(t, []string{"--config", pgConf, "--log-level", "info"}, true)
	if got := mustStatus(t, c, "GET", pg.url+"/collections/events", "", 200); got != events {
		t.Errorf("events on the database:\n%s\nwant\n%s", got, events)
	}
	if got := mustStatus(t, c, "GET", pg.url+"/collections/snapshots", "", 200); got != snapshots {
		t.Errorf("snapshots on the database:\n%s\nwant\n%s", got, snapshots)
	}
	if code, reply := send(t, c, "POST", pg.url+"/commands/event", `{"event":"ok","metadata":{"n":2}}`, "event-b"); code != 200 || reply != first["event-b"] {
		t.Errorf("retry after the move: %d %s, want the first answer %s", code, reply, first["event-b"])
	}
	if code, reply := send(t, c, "POST", pg.url+"/commands/event", `{"event":"ok","metadata":{"n":9}}`, "event-c"); code != 422 || !strings.Contains(reply, string(wire.ErrorKeyReused)) {
		t.Errorf("key reused after the move: %d %s, want 422", code, reply)
	}
	if got := mustStatus(t, c, "GET", pg.url+"/collections/events", "", 200); got != events {
		t.Errorf("the retry or the reuse stored something:\n%s", got)
	}
	pg.stop(t)

	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"migrate", "--from-bbolt", file, "--config", pgConf}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not empty") {
		t.Errorf("second migrate: exit %d, stderr %q; want 1 and a refusal", code, errb.String())
	}
}

// TestMigrateRefusals: what migrate refuses before it touches a database,
// each with one line on stderr and the file as it was.
func TestMigrateRefusals(t *testing.T) {
	site := newMigrateSite(t)
	// Nothing listens here: the refusals come before any connection.
	pgConf := site.conf(t, "pg.conf", `analytics.database.subname: "//127.0.0.1:1/analytics"`+"\n")
	noDB := site.conf(t, "bolt.conf", "analytics.data-directory: "+filepath.Join(site.dir, "data")+"\n")
	migrate := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"migrate"}, args...), &out, &errb)
		return code, errb.String()
	}
	t.Run("no database section", func(t *testing.T) {
		_, file := storeConfig(t, 3)
		code, msg := migrate("--from-bbolt", file, "--config", noDB)
		if code != 1 || !strings.Contains(msg, noDB+" has no analytics.database section") {
			t.Errorf("exit %d, stderr %q", code, msg)
		}
	})
	t.Run("locked by the service", func(t *testing.T) {
		_, file := storeConfig(t, 3)
		st, err := boltstore.Open(file, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		code, msg := migrate("--from-bbolt", file, "--config", pgConf)
		if code != 1 || !strings.Contains(msg, "locked by another process (is the service running?)") || strings.Count(msg, "\n") != 1 {
			t.Errorf("exit %d, stderr %q", code, msg)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "analytics.db")
		code, msg := migrate("--from-bbolt", missing, "--config", pgConf)
		if code != 1 || !strings.Contains(msg, "no such file") {
			t.Errorf("exit %d, stderr %q", code, msg)
		}
		if _, err := os.Stat(missing); err == nil {
			t.Error("migrate created the missing file")
		}
	})
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			_, file := storeConfig(t, 3000)
			d.do(t, file)
			before, _ := os.ReadFile(file)
			code, msg := migrate("--from-bbolt", file, "--config", pgConf)
			if code != 1 {
				t.Fatalf("exit %d; stderr:\n%s", code, msg)
			}
			checkOneMessage(t, msg, "analyticsd migrate: ", file, d.problem)
			if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
				t.Errorf("the damaged file changed: %d bytes, was %d", len(after), len(before))
			}
		})
	}
	t.Run("usage", func(t *testing.T) {
		var help, errb bytes.Buffer
		if code := run(context.Background(), []string{"--help"}, &help, &errb); code != 0 || !strings.Contains(help.String(), "analyticsd migrate --from-bbolt FILE --config PATH") {
			t.Errorf("--help: exit %d, does not show migrate:\n%s", code, help.String())
		}
		for _, args := range [][]string{{}, {"--config", pgConf}, {"--from-bbolt", "x"}, {"--from-bbolt", "x", "--config", pgConf, "extra"}} {
			if code, msg := migrate(args...); code != 2 || !strings.Contains(msg, migrateUsage) {
				t.Errorf("%q: exit %d, stderr %q", args, code, msg)
			}
		}
	})
}
