package packaging

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pki"
	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/boltstore"
)

// The install test installs the .deb into a throwaway root with the host's
// dpkg: dpkg --root=R --admindir=R/var/lib/dpkg, and
// --force-script-chrootless so that the maintainer scripts run with the
// host's systemd-sysusers and systemd-tmpfiles, pointed at R through
// $DPKG_ROOT (Debian's convention for installing into another root). This
// runs the real package's real scripts against real files without
// touching the machine's /usr, /etc or /var, needs no container runtime,
// and the service itself then runs chrooted into R (the binaries are
// static) as the analytics user the scripts created there.

// guideCommands are the commands of docs/operating.md this test runs (a
// test below fails when the guide no longer shows one of them verbatim).
// The test runs each one inside the throwaway root: dpkg with the options
// above, analyticsd chrooted into it.
var guideCommands = struct {
	install, backup, restore, remove, purge string
}{
	install: "sudo dpkg -i ./analyticsd_VERSION_amd64.deb",
	backup:  "sudo analyticsd backup --to /var/backups/analytics.db",
	restore: "sudo analyticsd restore --from /var/backups/analytics.db",
	remove:  "sudo dpkg -r analyticsd",
	purge:   "sudo dpkg -P analyticsd",
}

// TestGuideShowsTheTestedCommands: the guide and this test cannot drift.
func TestGuideShowsTheTestedCommands(t *testing.T) {
	guide, err := os.ReadFile("../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{guideCommands.install, guideCommands.backup, guideCommands.restore,
		guideCommands.remove, guideCommands.purge} {
		if !bytes.Contains(guide, []byte("\n"+c+"\n")) {
			t.Errorf("docs/operating.md does not show the tested command %q on a line of its own", c)
		}
	}
}

// debs returns the analyticsd .deb files of $ANALYTICS_TEST_PACKAGES,
// oldest version first, skipping the test when there are not two.
func debs(t *testing.T) []string {
	t.Helper()
	dir := os.Getenv("ANALYTICS_TEST_PACKAGES")
	if dir == "" {
		t.Skip("ANALYTICS_TEST_PACKAGES is not set: .ci/run builds two versions with .ci/package and runs this test")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "analyticsd_*.deb"))
	if len(files) < 2 {
		t.Fatalf("%s holds %d analyticsd .deb files, want two versions", dir, len(files))
	}
	sort.Slice(files, func(i, j int) bool {
		return exec.Command("dpkg", "--compare-versions", debVersion(t, files[i]), "lt", debVersion(t, files[j])).Run() == nil
	})
	return files
}

func debVersion(t *testing.T, deb string) string {
	out, err := exec.Command("dpkg-deb", "-f", deb, "Version").Output()
	if err != nil {
		t.Fatalf("dpkg-deb -f %s: %v", deb, err)
	}
	return strings.TrimSpace(string(out))
}

// root is the throwaway root the package is installed into.
type root struct {
	t   *testing.T
	dir string
}

// newRoot prepares an empty root with a dpkg database. The host's systemd
// runs the scripts, so the database records it as installed (the
// package depends on it).
func newRoot(t *testing.T) *root {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the install test needs root (to install files owned by root and run the service as its user)")
	}
	for _, tool := range []string{"dpkg", "dpkg-deb", "systemd-sysusers", "systemd-tmpfiles"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is missing: apt-get install dpkg systemd", tool)
		}
	}
	r := &root{t: t, dir: t.TempDir()}
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/backups", "etc", "run", "tmp"} {
		if err := os.MkdirAll(r.path("/"+d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	status := "Package: systemd\nStatus: install ok installed\nPriority: important\nVersion: 252\nArchitecture: amd64\n" +
		"Maintainer: host\nDescription: the host's systemd, which runs the maintainer scripts\n\n"
	r.write("/var/lib/dpkg/status", status, 0o644)
	return r
}

// path is name inside the root.
func (r *root) path(name string) string { return filepath.Join(r.dir, name) }

func (r *root) write(name, data string, mode os.FileMode) {
	r.t.Helper()
	if err := os.WriteFile(r.path(name), []byte(data), mode); err != nil {
		r.t.Fatal(err)
	}
}

func (r *root) read(name string) string {
	r.t.Helper()
	data, err := os.ReadFile(r.path(name))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(data)
}

// dpkg runs a guide's dpkg command inside the root; deb replaces the
// guide's package file name.
func (r *root) dpkg(guide, deb string) string {
	r.t.Helper()
	args := strings.Fields(strings.TrimPrefix(guide, "sudo dpkg "))
	for i, a := range args {
		if strings.HasSuffix(a, ".deb") {
			args[i] = deb
		}
	}
	args = append([]string{"--root=" + r.dir, "--admindir=" + r.path("/var/lib/dpkg"),
		"--force-script-chrootless", "--force-not-root"}, args...)
	cmd := exec.Command("dpkg", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("dpkg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// user returns the uid and gid of name in the root's /etc/passwd.
func (r *root) user(name string) (uint32, uint32) {
	r.t.Helper()
	for _, line := range strings.Split(r.read("/etc/passwd"), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[0] == name {
			uid, _ := strconv.Atoi(f[2])
			gid, _ := strconv.Atoi(f[3])
			if f[6] != "/usr/sbin/nologin" {
				r.t.Errorf("%s's shell is %q, want /usr/sbin/nologin", name, f[6])
			}
			return uint32(uid), uint32(gid)
		}
	}
	r.t.Fatalf("no user %s in the root's /etc/passwd:\n%s", name, r.read("/etc/passwd"))
	return 0, 0
}

// expect checks the owner and mode of name in the root.
func (r *root) expect(name string, uid, gid uint32, mode os.FileMode) {
	r.t.Helper()
	info, err := os.Lstat(r.path(name))
	if err != nil {
		r.t.Errorf("%s: %v", name, err)
		return
	}
	st := info.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid || info.Mode().Perm() != mode {
		r.t.Errorf("%s: owner %d:%d mode %o, want %d:%d %o", name, st.Uid, st.Gid, info.Mode().Perm(), uid, gid, mode)
	}
}

// command runs a program chrooted into the root, as uid:gid.
func (r *root) command(uid, gid uint32, args ...string) *exec.Cmd {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = "/"
	cmd.Path = args[0] // resolved inside the chroot
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: r.dir, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	return cmd
}

// guideRun runs a guide's `sudo analyticsd ...` command in the root, as
// root, and returns its output.
func (r *root) guideRun(guide string) string {
	r.t.Helper()
	args := strings.Fields(strings.TrimPrefix(guide, "sudo "))
	args[0] = "/usr/bin/" + args[0]
	out, err := r.command(0, 0, args...).CombinedOutput()
	if err != nil {
		r.t.Fatalf("%s: %v\n%s", guide, err, out)
	}
	return string(out)
}

// unitValue is the value of key in the installed unit.
func (r *root) unitValue(key string) string {
	r.t.Helper()
	for _, line := range strings.Split(r.read("/usr/lib/systemd/system/analyticsd.service"), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	r.t.Fatalf("the unit has no %s=", key)
	return ""
}

// service is analyticsd started as the unit starts it.
type service struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   *sync.Mutex
	url  string
	done chan error
}

// start runs the unit's ExecStart chrooted into the root as the unit's
// User, with $NOTIFY_SOCKET, and waits for READY=1 as systemd does.
func (r *root) start() *service {
	r.t.Helper()
	uid, gid := r.user(r.unitValue("User"))
	notify := "/run/analyticsd-notify"
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: r.path(notify), Net: "unixgram"})
	if err != nil {
		r.t.Fatal(err)
	}
	defer func() { conn.Close(); os.Remove(r.path(notify)) }()
	if err := os.Chmod(r.path(notify), 0o666); err != nil {
		r.t.Fatal(err)
	}
	cmd := r.command(uid, gid, strings.Fields(r.unitValue("ExecStart"))...)
	cmd.Env = append(cmd.Env, "NOTIFY_SOCKET="+notify)
	s := &service{cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = lockedWriter{s}, lockedWriter{s}
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	r.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-s.done
		}
	})
	// The first notification, or the service's exit, whichever comes first.
	note := make(chan string, 1)
	go func() {
		buf := make([]byte, 512)
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		n, _ := conn.Read(buf)
		note <- string(buf[:max(n, 0)])
	}()
	var got string
	select {
	case got = <-note:
	case err := <-s.done:
		conn.Close()
		<-note
		r.t.Fatalf("the service exited (%v) before READY=1; its log:\n%s", err, s.logText())
	}
	status, ok := strings.CutPrefix(got, "READY=1\nSTATUS=serving ")
	if !ok {
		r.t.Fatalf("the service's first notification is %q, want READY=1; its log:\n%s", got, s.logText())
	}
	s.url = strings.TrimSpace(status)
	return s
}

type lockedWriter struct{ s *service }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

func (s *service) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM, as systemctl stop does, and waits for a clean exit.
func (s *service) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("the service exited with %v; its log:\n%s", err, s.logText())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the service did not stop within 30 s; its log:\n%s", s.logText())
	}
}

// freePort returns a loopback port nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// configure does what the guide asks of an operator after installing:
// certificates in /etc/analyticsd/tls (the key readable by the service's
// group only) and edits to the packaged configuration (here: loopback
// listeners on free ports). It returns the edited configuration and a
// client with the client certificate.
func (r *root) configure(gid uint32) (string, *http.Client) {
	r.t.Helper()
	b, err := pki.Generate(r.t.TempDir())
	if err != nil {
		r.t.Fatal(err)
	}
	for src, dst := range map[string]string{b.ServerCert: "analyticsd.crt", b.ServerKey: "analyticsd.key", b.CACert: "ca.crt"} {
		data, err := os.ReadFile(src)
		if err != nil {
			r.t.Fatal(err)
		}
		r.write("/etc/analyticsd/tls/"+dst, string(data), 0o644)
	}
	key := r.path("/etc/analyticsd/tls/analyticsd.key")
	if err := os.Chown(key, 0, int(gid)); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Chmod(key, 0o640); err != nil {
		r.t.Fatal(err)
	}
	conf := r.read("/etc/analyticsd/analyticsd.conf")
	for old, repl := range map[string]string{
		"ssl-host: 0.0.0.0":              "ssl-host: 127.0.0.1",
		"ssl-port: 8145":                 "ssl-port: " + freePort(r.t),
		`admin-listen: "127.0.0.1:8141"`: `admin-listen: "127.0.0.1:` + freePort(r.t) + `"`,
	} {
		if !strings.Contains(conf, old) {
			r.t.Fatalf("the packaged configuration has no %q", old)
		}
		conf = strings.Replace(conf, old, repl, 1)
	}
	r.write("/etc/analyticsd/analyticsd.conf", conf, 0o644)
	tc, err := b.ClientTLSConfig()
	if err != nil {
		r.t.Fatal(err)
	}
	return conf, &http.Client{Transport: &http.Transport{TLSClientConfig: tc}, Timeout: 30 * time.Second}
}

// storeEvent stores one event and fails unless it is acknowledged.
func storeEvent(t *testing.T, c *http.Client, url, name string) {
	t.Helper()
	resp, err := c.Post(url+"/commands/event", "application/json", strings.NewReader(`{"event":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("storing %s: %d %s", name, resp.StatusCode, body)
	}
}

// events returns the event names in the store file at path.
func events(t *testing.T, path string) []string {
	t.Helper()
	st, err := boltstore.OpenReadOnly(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var names []string
	err = st.Scan(context.Background(), store.Events, 0, func(e store.Entry) error {
		names = append(names, string(e.Data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestInstallUpgradeRemovePurge is the package's life on a host, in a
// throwaway root: install, check owners and modes, verify the unit, run
// the service as the unit does and store an event, back it up, upgrade
// over it (the edited configuration and the event survive), restore the
// backup, remove (data and configuration kept) and purge.
func TestInstallUpgradeRemovePurge(t *testing.T) {
	pkgs := debs(t)
	oldDeb, newDeb := pkgs[0], pkgs[len(pkgs)-1]
	r := newRoot(t)
	r.dpkg(guideCommands.install, oldDeb)

	uid, gid := r.user("analytics")
	if uid == 0 || uid >= 1000 {
		t.Errorf("analytics has uid %d, want a system uid", uid)
	}
	r.expect("/usr/bin/analyticsd", 0, 0, 0o755)
	r.expect("/usr/bin/analytics", 0, 0, 0o755)
	r.expect("/usr/lib/systemd/system/analyticsd.service", 0, 0, 0o644)
	r.expect("/usr/lib/sysusers.d/analyticsd.conf", 0, 0, 0o644)
	r.expect("/usr/lib/tmpfiles.d/analyticsd.conf", 0, 0, 0o644)
	r.expect("/etc/analyticsd/analyticsd.conf", 0, 0, 0o644)
	r.expect("/usr/share/doc/analyticsd/docs/operating.md", 0, 0, 0o644)
	r.expect("/var/lib/analyticsd", uid, gid, 0o700)
	verifyInstalledUnit(t, r)

	edited, client := r.configure(gid)
	r.expect("/etc/analyticsd/tls/analyticsd.key", 0, gid, 0o640)
	svc := r.start()
	storeEvent(t, client, svc.url, "before.upgrade")
	if !strings.Contains(svc.logText(), "version="+debVersion(t, oldDeb)) {
		t.Errorf("the start line does not name version %s:\n%s", debVersion(t, oldDeb), svc.logText())
	}
	checkStatusVersion(t, edited, debVersion(t, oldDeb))
	out := r.guideRun(guideCommands.backup)
	if !strings.Contains(out, "copy of the running service: 1 events") {
		t.Errorf("backup said: %s", out)
	}
	r.expect("/var/lib/analyticsd/backup.sock", uid, gid, 0o600)
	svc.stop(t)

	r.dpkg(guideCommands.install, newDeb)
	if got := r.read("/etc/analyticsd/analyticsd.conf"); got != edited {
		t.Fatalf("the upgrade replaced the edited configuration:\n%s", got)
	}
	version, err := r.command(uid, gid, "/usr/bin/analyticsd", "--version").Output()
	if err != nil || !strings.HasPrefix(string(version), "analyticsd "+debVersion(t, newDeb)+" ") {
		t.Fatalf("after the upgrade analyticsd --version = %q, %v", version, err)
	}
	svc = r.start()
	storeEvent(t, client, svc.url, "after.upgrade")
	svc.stop(t)
	db := r.path("/var/lib/analyticsd/analytics.db")
	if got := events(t, db); len(got) != 2 || !strings.Contains(got[0], "before.upgrade") {
		t.Fatalf("after the upgrade the store holds %q, want before.upgrade and after.upgrade", got)
	}

	out = r.guideRun(guideCommands.restore)
	if got := events(t, db); len(got) != 1 || !strings.Contains(got[0], "before.upgrade") {
		t.Fatalf("after the restore the store holds %q, want the backup's before.upgrade; restore said %s", got, out)
	}
	r.expect("/var/lib/analyticsd/analytics.db", uid, gid, 0o600)
	svc = r.start() // the restored store opens as the service's user
	svc.stop(t)

	r.dpkg(guideCommands.remove, "")
	for _, gone := range []string{"/usr/bin/analyticsd", "/usr/lib/systemd/system/analyticsd.service"} {
		if _, err := os.Stat(r.path(gone)); !os.IsNotExist(err) {
			t.Errorf("after remove %s is still there (%v)", gone, err)
		}
	}
	if got := events(t, db); len(got) != 1 {
		t.Fatalf("remove lost the data: %q", got)
	}
	if got := r.read("/etc/analyticsd/analyticsd.conf"); got != edited {
		t.Fatal("remove changed the configuration")
	}

	r.dpkg(guideCommands.purge, "")
	for _, gone := range []string{"/etc/analyticsd/analyticsd.conf", "/var/lib/analyticsd"} {
		if _, err := os.Stat(r.path(gone)); !os.IsNotExist(err) {
			t.Errorf("after purge %s is still there (%v)", gone, err)
		}
	}
	if _, err := os.Stat(r.path("/var/backups/analytics.db")); err != nil {
		t.Errorf("purge took the backup outside the data directory: %v", err)
	}
}

// verifyInstalledUnit runs systemd-analyze verify on the installed unit.
// verify checks that ExecStart's program exists on this machine, so the
// copy it checks points into the root, at the packaged binary; every other
// line is the installed unit's.
func verifyInstalledUnit(t *testing.T, r *root) {
	t.Helper()
	sa := systemdAnalyze(t)
	unit := r.read("/usr/lib/systemd/system/analyticsd.service")
	dir := t.TempDir()
	path := filepath.Join(dir, "analyticsd.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/bin/analyticsd", r.path("/usr/bin/analyticsd"))), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	if got := unitExposure(t, r.path("/usr/lib/systemd/system/analyticsd.service")); got > maxExposure {
		t.Errorf("installed unit exposure %.1f, want at most %.1f", got, maxExposure)
	}
}

// checkStatusVersion reads /status on the admin listener the configuration
// conf names and checks the version it reports.
func checkStatusVersion(t *testing.T, conf, version string) {
	t.Helper()
	_, rest, _ := strings.Cut(conf, `admin-listen: "`)
	addr, _, _ := strings.Cut(rest, `"`)
	resp, err := http.Get("http://" + addr + "/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"version":"`+version+`"`) {
		t.Errorf("/status on %s does not report version %s: %s", addr, version, body)
	}
}
