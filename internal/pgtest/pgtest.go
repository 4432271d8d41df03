// Package pgtest gives tests a fresh PostgreSQL database of their own on the
// server named by the environment variable ANALYTICS_TEST_DATABASE_URL, and
// skips them, saying how to run them, when it is unset (or fails them, when
// ANALYTICS_TEST_REQUIRE lists postgres: see package testreq).
//
// .ci/postgres starts a throwaway server and prints the variables:
//
//	eval "$(.ci/postgres start /tmp/analytics-pg)"
//	go test ./...
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/analytics-client/analytics/internal/testreq"
)

// EnvURL names the variable holding the URL of a PostgreSQL server whose
// user may create databases.
const EnvURL = "ANALYTICS_TEST_DATABASE_URL"

// EnvCtl names the variable holding the path of .ci/postgres, which tests
// that stop and start a server use to run a private one (stopping the
// shared server would fail other packages' tests running at the same time).
// .ci/postgres prints it.
const EnvCtl = "ANALYTICS_TEST_DATABASE_CTL"

var counter atomic.Int64

// NewDatabase creates an empty database for t, dropped when t ends, and
// returns its URL. It skips t when EnvURL is unset.
func NewDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		testreq.Skip(t, testreq.Postgres, "a PostgreSQL server",
			"set "+EnvURL+" to a server's URL (eval \"$(.ci/postgres start /tmp/analytics-pg)\" starts one and sets it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvURL, err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("analytics_t%d_%d", os.Getpid(), counter.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Cluster is a private PostgreSQL server for one test.
type Cluster struct {
	t   testing.TB
	dir string
	// URL is a database on it that the test may use.
	URL string
}

// NewCluster starts a private server for t, stopped when t ends. It skips t
// when EnvCtl is unset.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(EnvCtl) == "" {
		testreq.Skip(t, testreq.Postgres, "a PostgreSQL server they may stop and start",
			"set "+EnvCtl+" to the path of .ci/postgres (eval \"$(.ci/postgres start /tmp/analytics-pg)\" sets it)")
	}
	dir, err := os.MkdirTemp("", "analytics-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, dir: dir}
	out := c.ctl("start")
	t.Cleanup(func() {
		c.ctl("stop")
		_ = os.RemoveAll(dir)
	})
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "export "+EnvURL+"="); ok {
			c.URL = strings.Trim(v, "'")
		}
	}
	if c.URL == "" {
		t.Fatalf("pgtest: .ci/postgres start printed no %s: %s", EnvURL, out)
	}
	return c
}

// Down stops the server at once, as a crash would, and returns a function
// that starts it again and waits until it accepts connections. The server is
// started again when t ends if the test did not.
func (c *Cluster) Down() (up func()) {
	c.t.Helper()
	c.ctl("down")
	var started atomic.Bool
	up = func() {
		if started.CompareAndSwap(false, true) {
			c.ctl("up")
		}
	}
	c.t.Cleanup(up)
	return up
}

func (c *Cluster) ctl(verb string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, os.Getenv(EnvCtl), verb, c.dir).CombinedOutput()
	if err != nil {
		c.t.Fatalf("pgtest: .ci/postgres %s: %v: %s", verb, err, out)
	}
	return string(out)
}
