package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/analytics-client/analytics/internal/devenv"
	"github.com/analytics-client/analytics/internal/pki"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if daemon.dir != "" {
			os.RemoveAll(daemon.dir)
		}
		os.Exit(code)
	}))
}

// started is a run() in progress.
type started struct {
	url    string
	first  string // the first line of stdout (without fromLog)
	cancel context.CancelFunc
	code   chan int
	stderr *lockedBuffer
}

// startRun calls run in a goroutine and waits until a line of stdout (or,
// with fromLog, of stderr) reveals the service's URL.
func startRun(t *testing.T, args []string, fromLog bool) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	s := &started{cancel: cancel, code: make(chan int, 1), stderr: &lockedBuffer{}}
	var errW io.Writer = s.stderr
	var logR *io.PipeReader
	if fromLog {
		var logW *io.PipeWriter
		logR, logW = io.Pipe()
		errW = io.MultiWriter(s.stderr, logW)
		defer func() { go drain(logR) }()
		t.Cleanup(func() { logW.Close() })
	}
	go func() {
		s.code <- run(ctx, args, outW, errW)
		outW.Close()
	}()
	src := io.Reader(outR)
	if fromLog {
		go drain(outR)
		src = logR
	}
	s.url, s.first = scanURL(t, src, fromLog, s)
	if !fromLog {
		go drain(outR)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func drain(r io.Reader) { _, _ = io.Copy(io.Discard, r) }

// scanURL reads lines until one names the URL; it returns the URL and the
// first line read.
func scanURL(t *testing.T, r io.Reader, fromLog bool, s *started) (string, string) {
	t.Helper()
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		first := ""
		for sc.Scan() {
			line := sc.Text()
			if first == "" {
				first = line
			}
			if !fromLog && strings.HasPrefix(line, "  url:") {
				found <- [2]string{strings.TrimSpace(strings.TrimPrefix(line, "  url:")), first}
				return
			}
			if _, after, ok := strings.Cut(line, " url="); fromLog && ok {
				found <- [2]string{strings.Fields(after)[0], first}
				return
			}
		}
		found <- [2]string{}
	}()
	select {
	case u := <-found:
		if u[0] == "" {
			t.Fatalf("no URL printed; stderr: %s", s.stderr)
		}
		return u[0], u[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("no URL within 30 s; stderr: %s", s.stderr)
	}
	return "", ""
}

// stop cancels run (as SIGINT does) and checks that it exits with 0.
func (s *started) stop(t *testing.T) {
	s.cancel()
	select {
	case code := <-s.code:
		if code != 0 {
			t.Errorf("run exited %d; stderr: %s", code, s.stderr)
		}
		s.code <- code
	case <-time.After(30 * time.Second):
		t.Errorf("run did not stop within 30 s")
	}
}

// devClient trusts the development CA in dir and presents its client
// certificate.
func devClient(t testing.TB, dir string) *http.Client {
	t.Helper()
	b, err := pki.LoadOrGenerate(filepath.Join(dir, devenv.PKIDir))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := b.ClientTLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, tc)
}

func newClient(t testing.TB, tc *tls.Config) *http.Client {
	tr := &http.Transport{TLSClientConfig: tc}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func mustStatus(t *testing.T, c *http.Client, method, url, body string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, data, want)
	}
	return string(data)
}
