package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/analytics-client/analytics/server/checkin"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which the browser test drives.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts a headless Chromium with a new, empty profile and no
// network of its own, and returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		t.Skipf("the browser test needs Chromium at %s: apt-get install -y chromium", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium makes its process-singleton directory in TMPDIR and
		// leaves it when it is stopped; here it goes with the test's.
		chromedp.Env("TMPDIR=" + t.TempDir()),
		chromedp.WindowSize(1200, 1400),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTimeout()
	})
	return tab
}

// TestViewInBrowser loads the page from a running service in Chromium,
// checks the banner, stores an event after the page loaded and waits until
// the page shows it.
func TestViewInBrowser(t *testing.T) {
	tab := newBrowser(t)
	up := newUpstream(t, answerWith(200, `{}`))
	ts := checkInServer(t, up, func(c *server.Config) {
		c.AdminAddr = "127.0.0.1:0"
		os.WriteFile(filepath.Join(c.CheckIn.ConfDir, checkin.OptOutFile), nil, 0o600)
	})
	if err := chromedp.Do(tab, chromedp.Navigate(ts.srv.AdminURL())); err != nil {
		t.Fatal(err)
	}
	banner := run(t, tab, chromedp.Text("#banner"))
	mode := run(t, tab, chromedp.AttributeValue("#banner", "data-mode"))
	if !strings.HasPrefix(banner, "Not sent: opted out by ") || mode.Value != checkin.ModeOptedOut {
		t.Errorf("banner %q (%s)", banner, mode.Value)
	}
	if strings.Contains(run(t, tab, chromedp.TextContent("#arrivals")), "browser.event") {
		t.Fatal("the event is on the page before it was sent")
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"browser.event"}`); got.status != 200 {
		t.Fatalf("event: %d %s", got.status, got.body)
	}
	run(t, tab, chromedp.Poll[bool](`document.getElementById("arrivals").textContent.includes("browser.event")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	if n := run(t, tab, chromedp.Text("#store-events")); n != "1" {
		t.Errorf("stored events on the page: %q", n)
	}
	// The script shows the arrival and the room as the page does.
	if li := run(t, tab, chromedp.Text("#arrivals li")); !strings.HasPrefix(li, `events: {"event":"browser.event"`) {
		t.Errorf("arrival shown as %q", li)
	}
	if room := run(t, tab, chromedp.Text("#store-bytes")); !regexp.MustCompile(`^[0-9.]+ (B|KiB|MiB) of 1\.0 GiB`).MatchString(room) {
		t.Errorf("room shown as %q", room)
	}
	png := run(t, tab, chromedp.FullScreenshot(100))
	shot := filepath.Join(t.TempDir(), "view.png")
	if err := os.WriteFile(shot, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}

// run runs one browser action and fails the test on error.
func run[T any](t *testing.T, tab context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(tab, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
