package server

import "strings"

// failureKind is the throttling key of one of net/http's own messages:
// its kind, never text that carries an address. The message's first part
// says what failed ("http: TLS handshake error"), its last the innermost
// cause ("connection reset by peer", "EOF", "bad certificate"); what lies
// between names the connection ("read tcp 127.0.0.1:8140->
// 127.0.0.1:50412"), which differs with each client port and would give
// every connection a key of its own. Digits left in the cause are folded
// too, so that no count or port makes a new key.
func failureKind(msg string) string {
	first, last := msg, ""
	if i := strings.Index(msg, " from "); i >= 0 {
		first = msg[:i]
	} else if i := strings.Index(msg, ": "); i >= 0 {
		first = msg[:i]
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 <= len(msg) {
		last = msg[i+2:]
	}
	return "http: " + first + ": " + strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' {
			return '#'
		}
		return r
	}, last)
}
