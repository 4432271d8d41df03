package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestDevAdminListener: the development service opens the admin listener
// on loopback and prints the page's URL.
func TestDevAdminListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--log-level", "warn"}, outW, io.Discard)
		outW.Close()
	}()
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("exit %d", c)
		}
	}()
	page := make(chan string, 1)
	go func() {
		defer close(page)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if _, u, ok := strings.Cut(sc.Text(), "operator page (local users, no certificate): "); ok {
				page <- u
				break
			}
		}
		_, _ = io.Copy(io.Discard, outR)
	}()
	var u string
	select {
	case u = <-page:
	case <-time.After(30 * time.Second):
	}
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.Contains(u, "/view?token=") {
		t.Fatalf("page URL %q", u)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `data-mode="no-product"`) {
		t.Errorf("page: %d %.300s", resp.StatusCode, body)
	}
}

func TestOperatorSettings(t *testing.T) {
	base := "analytics.data-directory: /x\nwebserver.port: 0\n"
	cfg, err := loadConfig(writeTemp(t, base), nil)
	if err != nil || cfg.AdminAddr != "" || cfg.AccessLog {
		t.Errorf("defaults: admin %q, access log %v, %v", cfg.AdminAddr, cfg.AccessLog, err)
	}
	cfg, err = loadConfig(writeTemp(t, base+"analytics: { admin-listen: \"127.0.0.1:8141\", access-log: true }\n"), nil)
	if err != nil || cfg.AdminAddr != "127.0.0.1:8141" || !cfg.AccessLog {
		t.Errorf("set: admin %q, access log %v, %v", cfg.AdminAddr, cfg.AccessLog, err)
	}
	for conf, want := range map[string]string{
		`analytics.admin-listen: "0.0.0.0:8141"`: "analytics.admin-listen: \"0.0.0.0:8141\" is not a loopback address",
		`analytics.admin-listen: "8141"`:         "analytics.admin-listen: \"8141\" is not host:port",
		`analytics.access-log: maybe`:            "analytics.access-log",
	} {
		path := writeTemp(t, base+conf+"\n")
		_, err := loadConfig(path, nil)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want one naming %s and %q", conf, err, path, want)
		}
	}
}
