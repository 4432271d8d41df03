package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/analytics-client/analytics/internal/pgtest"
	"github.com/analytics-client/analytics/internal/pki"
)

// startReplica runs analyticsd --config conf as its own process and waits
// for the URL it logs.
func startReplica(t testing.TB, bin, conf string) *child {
	t.Helper()
	cmd := exec.Command(bin, "--config", conf, "--log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, out: make(chan struct{})}
	found := make(chan string, 1)
	var log lockedBuffer
	go func() {
		defer close(c.out)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.Write(append(sc.Bytes(), '\n'))
			if _, after, ok := strings.Cut(sc.Text(), " url="); ok {
				select { // the first is the service's; later ones are check-ins'
				case found <- strings.Fields(after)[0]:
				default:
				}
			}
		}
		close(found)
	}()
	select {
	case c.url = <-found:
	case <-time.After(30 * time.Second):
	}
	if c.url == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("replica logged no URL: %s", log.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-c.out
			_ = cmd.Wait()
		}
	})
	return c
}

// TestReplicasShareOneDatabase runs two analyticsd processes on one
// PostgreSQL database with clients spread over both, SIGKILLs one of them
// mid-load, and checks that every acknowledged entry is there once; then,
// with both replicas running again, check-ins through both upload each
// entry exactly once.
func TestReplicasShareOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs analyticsd")
	}
	dbURL := pgtest.NewDatabase(t)
	bin, dir := buildDaemon(t), t.TempDir()
	b, err := pki.Generate(filepath.Join(dir, "ssl"))
	if err != nil {
		t.Fatal(err)
	}
	var upMu sync.Mutex
	uploaded := map[string]int{}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var p struct {
			Analytics struct {
				Events []struct{ Event string } `json:"events"`
			} `json:"self-service-analytics"`
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		upMu.Lock()
		for _, e := range p.Analytics.Events {
			uploaded[e.Event]++
		}
		upMu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	defer upstream.Close()
	conf := filepath.Join(dir, "analytics.conf")
	writeConf(t, conf, fmt.Sprintf(`webserver: {
    ssl-host: 127.0.0.1
    ssl-port: 0
    ssl-cert: %s
    ssl-key: %s
    ssl-ca-cert: %s
    client-auth: need
}
global.hostname: %s
analytics.database.subname: "//%s"
product: {
    name: { artifact-id: puppetserver, group-id: puppetlabs.packages }
    update-server-url: "%s"
    conf-dir: "%s"
}
`, b.ServerCert, b.ServerKey, b.CACert, pki.ClientCommonName, strings.TrimPrefix(dbURL, "postgres://"), upstream.URL, dir))
	replicas := []*child{startReplica(t, bin, conf), startReplica(t, bin, conf)}
	tc, err := b.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, tc)

	// Two workers per replica; the first replica is killed once enough is
	// acknowledged, the second keeps storing until told to stop.
	var a acked
	reached, stop := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			storeUntilDown(client, replicas[w%2].url, w, &a, func() { once.Do(func() { close(reached) }) }, 300, stop)
		}()
	}
	select {
	case <-reached:
	case <-time.After(60 * time.Second):
		t.Fatal("clients did not reach enough acknowledgements within 60 s")
	}
	_ = replicas[0].stop(t, syscall.SIGKILL)
	close(stop)
	wg.Wait()
	client.Transport.(*http.Transport).CloseIdleConnections()
	checkAcked(t, client, replicas[1].url, &a)

	// Both replicas again; check-ins through both at once, several times.
	replicas[0] = startReplica(t, bin, conf)
	for round := range 3 {
		var sends sync.WaitGroup
		for _, r := range replicas {
			sends.Add(1)
			go func() {
				defer sends.Done()
				mustStatus(t, client, "POST", r.url+"/commands/send", "", 200)
			}()
		}
		sends.Wait()
		if round == 0 {
			mustStatus(t, client, "POST", replicas[1].url+"/commands/event", `{"event":"after.checkin"}`, 200)
			a.add("event", "after.checkin")
		}
	}
	upMu.Lock()
	defer upMu.Unlock()
	for _, name := range a.events {
		if uploaded[name] != 1 {
			t.Errorf("acknowledged event %s uploaded %d times", name, uploaded[name])
		}
	}
	for _, r := range replicas {
		if err := r.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
	}
	_ = os.RemoveAll(dir)
}
