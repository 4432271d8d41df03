package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/pgstore"
)

// TestCheckNeverWrites: check reads a sound store from a read-only file in
// a read-only directory and leaves every byte as it was.
func TestCheckNeverWrites(t *testing.T) {
	conf, path := storeConfig(t, 1200)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700); _ = os.Chmod(path, 0o600) })
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		n := 0
		for i := range min(len(before), len(after)) {
			if before[i] != after[i] {
				n++
			}
		}
		t.Errorf("check changed %d bytes of the file (%d → %d bytes)", n, len(before), len(after))
	}
}

// TestCheckNamesDamagedEntries: entries whose bytes changed on the disk are
// each named by sequence number, and check fails; the file is not touched.
func TestCheckNamesDamagedEntries(t *testing.T) {
	conf, path := storeConfig(t, 1200)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, mark := range []string{"mark.00041", "mark.01000"} { // entries 42 and 1001
		i := bytes.Index(data, []byte(mark))
		if i < 0 {
			t.Fatalf("%s not in the file", mark)
		}
		data[i] = 'M'
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"check", "--config", conf}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	for _, want := range []string{"2 damaged entries", "damaged:          events entry 42 (fails its checksum)", "damaged:          events entry 1001"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Error("check changed the file")
	}
}

// TestCheckDatabase: with a PostgreSQL configuration check reads the
// database (schema version, counts, checksums) instead of a file, and names
// a damaged row.
func TestCheckDatabase(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	ctx := context.Background()
	st, err := pgstore.Connect(ctx, dbURL, 2, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]store.Record, 30)
	for i := range recs {
		recs[i] = store.Record{Kind: store.Events, Data: []byte(`{"event":"e"}`)}
	}
	for _, r := range st.Append(ctx, recs) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	st.Close()
	conf := writeTemp(t, "webserver.port: 0\n"+databaseSection(t, dbURL))
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"check", "--config", conf}, &out, &errb); code != 0 {
		t.Fatalf("sound database: exit %d: %s\n%s", code, errb.String(), out.String())
	}
	for _, want := range []string{"database: sound", "schema version:   4", "events:           30 (counted 30)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE analytics_entries SET data = '{"event":"E"}' WHERE seq = 7`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(ctx, []string{"check", "--config", conf}, &out, &errb); code != 1 || !strings.Contains(out.String(), "damaged:          events entry 7 ") {
		t.Errorf("damaged row: exit %d:\n%s", code, out.String())
	}
}
