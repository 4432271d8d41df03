// Package logthrottle logs repeated conditions (a failed TLS handshake, a
// refused request, a storage error) at most once per interval per key, with
// the number of occurrences it held back, so that a hostile or broken peer
// cannot flood the log.
package logthrottle

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxKeys bounds the keys remembered at once; past it, keys whose interval
// has ended are forgotten, and if none has, every interval ends early (a
// burst of that many distinct keys is logged anyway, one line each).
// Keys may come from clients (a certname), so their number must not grow
// with what clients send.
const maxKeys = 4096

// Logger logs a message for a key at most once per interval. The zero value
// is not usable; create one with New.
type Logger struct {
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	seen map[string]*window
}

// window is one key's current interval: when it began and how many
// occurrences were held back since.
type window struct {
	start      time.Time
	suppressed int
}

// New returns a Logger writing to log. A zero interval means one minute; a
// nil now means time.Now.
func New(log *slog.Logger, interval time.Duration, now func() time.Time) *Logger {
	if interval <= 0 {
		interval = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &Logger{log: log, interval: interval, now: now, seen: make(map[string]*window)}
}

// Log writes msg with args at level unless key was logged less than an
// interval ago; then it only counts the occurrence. The first line after an
// interval carries "repeated", the number of occurrences held back.
func (l *Logger) Log(ctx context.Context, level slog.Level, key, msg string, args ...any) {
	if !l.log.Enabled(ctx, level) {
		return
	}
	held, ok := l.admit(key)
	if !ok {
		return
	}
	if held > 0 {
		args = append(args, "repeated", held)
	}
	l.log.Log(ctx, level, msg, args...)
}

// admit reports whether key may be logged now, and how many occurrences
// were held back since it last was.
func (l *Logger) admit(key string) (held int, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.seen[key]; w != nil {
		if now.Sub(w.start) < l.interval {
			w.suppressed++
			return 0, false
		}
		held = w.suppressed
		w.start, w.suppressed = now, 0
		return held, true
	}
	if len(l.seen) >= maxKeys {
		l.evict(now)
	}
	l.seen[key] = &window{start: now}
	return 0, true
}

// evict forgets keys whose interval has ended, or every key when none has.
func (l *Logger) evict(now time.Time) {
	for k, w := range l.seen {
		if now.Sub(w.start) >= l.interval {
			delete(l.seen, k)
		}
	}
	if len(l.seen) >= maxKeys {
		clear(l.seen)
	}
}
