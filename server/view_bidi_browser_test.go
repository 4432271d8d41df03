package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/analytics-client/analytics/server"
	"github.com/chromedp/chromedp"
)

// TestViewEscapesBidiInBrowser: an event stored after the page loaded
// reaches it through the page's own script, which shows its U+202E as the
// escape \u202e too, not as a reversal (issue 17.10).
func TestViewEscapesBidiInBrowser(t *testing.T) {
	tab := newBrowser(t)
	ts := startServer(t, func(c *server.Config) { c.AdminAddr = "127.0.0.1:0" })
	if err := chromedp.Do(tab, chromedp.Navigate(ts.srv.AdminURL())); err != nil {
		t.Fatal(err)
	}
	if got := do(t, ts.client, "POST", ts.url+"/commands/event", `{"event":"evil\u202egnp.exe"}`); got.status != 200 {
		t.Fatalf("event: %d %s", got.status, got.body)
	}
	run(t, tab, chromedp.Poll[bool](`document.getElementById("arrivals").textContent.includes("gnp.exe")`,
		chromedp.WithPollingTimeout(20*time.Second)))
	shown := run(t, tab, chromedp.TextContent("#arrivals"))
	if strings.Contains(shown, "\u202e") || !strings.Contains(shown, `evil\u202egnp.exe`) {
		t.Errorf("arrivals show %q, want the escape \\u202e and no raw U+202E", shown)
	}
}
