package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
)

// backupSite is a configured service on a bbolt store with real
// certificates, and an mTLS client of it.
type backupSite struct {
	migrateSite
	conf, data string
	client     *http.Client
}

func newBackupSite(t *testing.T) backupSite {
	t.Helper()
	s := backupSite{migrateSite: newMigrateSite(t)}
	// No whitelist: the load stores names of its own.
	s.base = strings.Replace(s.base, "analytics.whitelist-file:", "# analytics.whitelist-file:", 1)
	s.data = filepath.Join(s.dir, "data")
	s.conf = s.migrateSite.conf(t, "analyticsd.conf", "analytics.data-directory: "+s.data+"\n")
	tc, err := s.bundle.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	s.client = newClient(t, tc)
	return s
}

// cmd runs an analyticsd subcommand in process and returns its exit status
// and output.
func (s backupSite) cmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// storedNames reads the event names and snapshot field names in the store
// file at path.
func storedNames(t *testing.T, path string) map[string]bool {
	t.Helper()
	st, err := boltstore.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	names := map[string]bool{}
	for _, kind := range []store.Kind{store.Events, store.Snapshots} {
		err := st.Scan(context.Background(), kind, 0, func(e store.Entry) error {
			// An event is {"event": name, ...}; a snapshot is stored as
			// its fields, as the collections serve it.
			var v map[string]json.RawMessage
			if err := json.Unmarshal(e.Data, &v); err != nil {
				return err
			}
			if kind == store.Snapshots {
				for k := range v {
					names[k] = true
				}
				return nil
			}
			var name string
			if err := json.Unmarshal(v["event"], &name); err != nil {
				return err
			}
			names[name] = true
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return names
}

// TestBackupUnderLoad backs up a running service (its own process, holding
// the store's lock) while clients keep storing, and checks that every entry
// acknowledged before the backup started is in the copy, and that the
// clients were acknowledged while the copy was made.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	s := newBackupSite(t)
	svc := startReplica(t, buildDaemon(t), s.conf)
	var a acked
	const workers, enough = 4, 300
	reached, stop := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			storeUntilDown(s.client, svc.url, w, &a, func() { once.Do(func() { close(reached) }) }, enough, stop)
		}()
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("clients did not reach enough acknowledgements within 60 s")
	}
	a.mu.Lock()
	before := append(append([]string(nil), a.events...), a.snapshots...)
	a.mu.Unlock()

	copyPath := filepath.Join(t.TempDir(), "analytics-backup.db")
	code, out, errOut := s.cmd(t, "backup", "--config", s.conf, "--to", copyPath)
	a.mu.Lock()
	during := len(a.events) + len(a.snapshots) - len(before)
	a.mu.Unlock()
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "copy of the running service") {
		t.Fatalf("backup = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	names := storedNames(t, copyPath)
	for _, n := range before {
		if !names[n] {
			t.Errorf("%s was acknowledged before the backup started but is not in the copy", n)
		}
	}
	t.Logf("%d entries acknowledged before the backup, %d while it ran; the copy holds %d; %s",
		len(before), during, len(names), strings.TrimSpace(out))
	if err := svc.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v", err)
	}
}

// storeNamed stores one event per name and fails unless each is
// acknowledged.
func (s backupSite) storeNamed(t *testing.T, url string, names ...string) {
	t.Helper()
	for _, n := range names {
		if code, body := send(t, s.client, "POST", url+"/commands/event", `{"event":"`+n+`"}`, ""); code != 200 {
			t.Fatalf("storing %s: %d %s", n, code, body)
		}
	}
}

// TestBackupStoppedAndRestore: a backup of a stopped service reads the file
// itself; restore refuses a running service (by its socket, and by the
// file's lock when the socket is gone), a damaged and a foreign file, each
// time leaving the store as it was; a good backup replaces the store.
func TestBackupStoppedAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	s := newBackupSite(t)
	bin := buildDaemon(t)
	svc := startReplica(t, bin, s.conf)
	s.storeNamed(t, svc.url, "kept.one", "kept.two")
	if err := svc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	backupPath := filepath.Join(t.TempDir(), "backup.db")
	code, out, errOut := s.cmd(t, "backup", "--config", s.conf, "--to", backupPath)
	if code != 0 || !strings.Contains(out, "(no service running)") || !strings.Contains(out, "2 events") {
		t.Fatalf("backup of the stopped service = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	svc = startReplica(t, bin, s.conf)
	s.storeNamed(t, svc.url, "after.backup")
	storePath := filepath.Join(s.data, boltstore.FileName)
	restoreRefused(t, s, backupPath, "the service is running")
	if err := os.Remove(filepath.Join(s.data, backupSocketName)); err != nil {
		t.Fatal(err)
	}
	restoreRefused(t, s, backupPath, "open in another process")
	if err := svc.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	good, err := os.ReadFile(backupPath)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	writeConf(t, damaged, string(good[:len(good)/2]))
	foreign := filepath.Join(t.TempDir(), "foreign.db")
	db, err := bolt.Open(foreign, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("sessions")); return err })
	db.Close()
	current, _ := os.ReadFile(storePath)
	restoreRefused(t, s, damaged, "not a sound backup")
	restoreRefused(t, s, foreign, "not a sound backup")
	if now, _ := os.ReadFile(storePath); !bytes.Equal(now, current) {
		t.Fatal("a refused restore changed the store file")
	}

	code, out, errOut = s.cmd(t, "restore", "--config", s.conf, "--from", backupPath)
	if code != 0 || !strings.Contains(out, "restored from") {
		t.Fatalf("restore = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	names := storedNames(t, storePath)
	if !names["kept.one"] || !names["kept.two"] || names["after.backup"] {
		t.Fatalf("after the restore the store holds %v, want kept.one and kept.two only", names)
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.data, ".*tmp-*"))
	if len(leftovers) > 0 {
		t.Fatalf("restore left %v behind", leftovers)
	}
}

// restoreRefused runs a restore from file that must fail with want in its
// message.
func restoreRefused(t *testing.T, s backupSite, from, want string) {
	t.Helper()
	code, out, errOut := s.cmd(t, "restore", "--config", s.conf, "--from", from)
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("restore from %s = %d, want 1 and %q\nstdout: %s\nstderr: %s", filepath.Base(from), code, want, out, errOut)
	}
}

// TestBackupPostgresExplains: with analytics.database the store is not a
// file; backup and restore say to use pg_dump and fail.
func TestBackupPostgresExplains(t *testing.T) {
	site := newMigrateSite(t)
	conf := site.conf(t, "pg.conf", databaseSection(t, "postgres://analytics@127.0.0.1:1/analytics"))
	for _, args := range [][]string{{"backup", "--to", "x.db"}, {"restore", "--from", "x.db"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append(args, "--config", conf), &out, &errOut)
		if code != 1 || !strings.Contains(errOut.String(), "pg_dump") {
			t.Errorf("%s = %d, want 1 and pg_dump advice; stderr: %s", args[0], code, errOut.String())
		}
	}
}

func TestBackupUsage(t *testing.T) {
	for _, args := range [][]string{{"backup"}, {"restore"}, {"backup", "--to", "x", "extra"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%v = %d, want 2 (usage); stderr: %s", args, code, errOut.String())
		}
	}
}
