package analytics

import (
	"log/slog"
	"sync"
	"time"
)

// refusalLog logs the items Event and Snapshot refused: one WARN per
// interval for each reason, with the count since the last line, so a
// producer that keeps hitting a full queue fills no log. The counts not
// yet logged are logged by flush (at Close).
type refusalLog struct {
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration

	mu      sync.Mutex
	last    map[DropReason]time.Time
	pending map[DropReason]uint64
}

func newRefusalLog(log *slog.Logger, now func() time.Time, interval time.Duration) *refusalLog {
	return &refusalLog{log: log, now: now, interval: interval,
		last: make(map[DropReason]time.Time), pending: make(map[DropReason]uint64)}
}

// add counts one refusal for reason, caused by err, and logs the count
// if the interval has passed since the last line for reason.
func (l *refusalLog) add(reason DropReason, err error) {
	now := l.now()
	l.mu.Lock()
	l.pending[reason]++
	last, seen := l.last[reason]
	if seen && now.Sub(last) < l.interval {
		l.mu.Unlock()
		return
	}
	n := l.pending[reason]
	l.pending[reason] = 0
	l.last[reason] = now
	l.mu.Unlock()
	l.emit(reason, n, err)
}

// flush logs the refusals counted but not yet logged.
func (l *refusalLog) flush() {
	l.mu.Lock()
	pending := l.pending
	l.pending = make(map[DropReason]uint64)
	l.mu.Unlock()
	for reason, n := range pending {
		if n > 0 {
			l.emit(reason, n, nil)
		}
	}
}

func (l *refusalLog) emit(reason DropReason, n uint64, err error) {
	args := []any{slog.String("reason", string(reason)), slog.Uint64("refused", n), slog.Duration("interval", l.interval)}
	if err != nil {
		args = append(args, slog.Any("error", err))
	}
	l.log.Warn("analytics: items refused by Event or Snapshot; they will not be delivered", args...)
}
