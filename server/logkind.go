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
