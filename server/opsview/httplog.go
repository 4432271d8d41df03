package opsview

import (
	"context"
	"log"
	"log/slog"
	"regexp"
	"strings"
)

// HTTPErrorLog is an http.Server's ErrorLog: it routes net/http's own
// messages (TLS handshake failures and the like) to t, at most one line
// per interval for each kind of failure (failureKind): a client with a
// certificate from another CA that keeps retrying, or any TCP client
// without one, is one line a minute with a count of the others, not a
// line per handshake. tlsFailed, when set, is called for each TLS
// handshake error: new certificate files could explain it.
func HTTPErrorLog(t Throttle, tlsFailed func()) *log.Logger {
	return log.New(httpLogWriter{t: t, tlsFailed: tlsFailed}, "", 0)
}

// httpLogWriter is the writer behind HTTPErrorLog.
type httpLogWriter struct {
	t         Throttle
	tlsFailed func()
}

// peerAddr finds the client address net/http names in its messages
// ("http: TLS handshake error from 127.0.0.1:50412: ..."), which is left
// out of the throttling key so that each retry counts as the same
// condition.
var peerAddr = regexp.MustCompile(` from (\S+:\d+): `)

func (w httpLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if w.tlsFailed != nil && strings.Contains(msg, "TLS handshake error") {
		w.tlsFailed()
	}
	peer := ""
	if m := peerAddr.FindStringSubmatchIndex(msg); m != nil {
		peer = msg[m[2]:m[3]]
		msg = msg[:m[0]] + ": " + msg[m[1]:]
	}
	w.t.Log(context.Background(), slog.LevelInfo, failureKind(msg), msg, "peer", peer)
	return len(p), nil
}

// failureKind is the throttling key of one of net/http's own messages:
// its kind, never text that carries an address. The message's first part
// says what failed ("http: TLS handshake error"), its last the innermost
// cause ("connection reset by peer", "EOF", "bad certificate"); what lies
// between names the connection ("read tcp 127.0.0.1:8140->
// 127.0.0.1:50412"), which differs with each client port and would give
// every connection a key of its own. Digits left in the cause are folded
// too, so that no count or port makes a new key.
func failureKind(msg string) string {
	source, rest, ok := strings.Cut(msg, ": ") // "http", "http2"
	if !ok {
		source, rest = "", msg
	}
	first, last := rest, ""
	if i := strings.Index(rest, " from "); i >= 0 {
		first = rest[:i]
	} else if i := strings.Index(rest, ": "); i >= 0 {
		first = rest[:i]
	}
	if i := strings.LastIndex(rest, ": "); i >= 0 {
		last = rest[i+2:]
	}
	return source + ": " + first + ": " + strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return '#'
		}
		return r
	}, last)
}
