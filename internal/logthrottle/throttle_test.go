package logthrottle

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTest(t *testing.T) (*Logger, *bytes.Buffer, *clock) {
	t.Helper()
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	return New(log, time.Minute, c.now), &buf, c
}

func lines(buf *bytes.Buffer) []string {
	s := strings.TrimSpace(buf.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestOncePerIntervalPerKeyWithCount(t *testing.T) {
	l, buf, c := newTest(t)
	ctx := context.Background()
	for range 100 {
		l.Log(ctx, slog.LevelWarn, "a", "handshake failed", "peer", "x")
	}
	l.Log(ctx, slog.LevelWarn, "b", "other kind")
	if got := lines(buf); len(got) != 2 {
		t.Fatalf("got %d lines, want 2 (one per key):\n%s", len(got), buf)
	}
	c.t = c.t.Add(59 * time.Second)
	l.Log(ctx, slog.LevelWarn, "a", "handshake failed")
	if got := lines(buf); len(got) != 2 {
		t.Fatalf("logged again inside the interval:\n%s", buf)
	}
	c.t = c.t.Add(time.Second)
	l.Log(ctx, slog.LevelWarn, "a", "handshake failed")
	got := lines(buf)
	if len(got) != 3 || !strings.Contains(got[2], "repeated=100") {
		t.Fatalf("after the interval want one line with repeated=100, got:\n%s", buf)
	}
}

func TestKeysAreBounded(t *testing.T) {
	l, buf, _ := newTest(t)
	ctx := context.Background()
	for i := range 3 * maxKeys {
		l.Log(ctx, slog.LevelInfo, fmt.Sprint(i), "refused")
	}
	if n := len(l.seen); n > maxKeys {
		t.Fatalf("%d keys remembered, want at most %d", n, maxKeys)
	}
	if n := len(lines(buf)); n != 3*maxKeys {
		t.Fatalf("%d lines for %d distinct keys", n, 3*maxKeys)
	}
}

func TestDisabledLevelCostsNothing(t *testing.T) {
	l, buf, _ := newTest(t)
	l.Log(context.Background(), slog.LevelDebug, "a", "quiet")
	if buf.Len() != 0 || len(l.seen) != 0 {
		t.Fatalf("a disabled level was logged or remembered: %q", buf)
	}
}
