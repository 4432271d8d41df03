package opsview

import (
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/analytics-client/analytics/internal/confcheck"
)

// CheckAdminAddr refuses an admin listener address (the service's
// Config.AdminAddr) that is not on the loopback interface: the admin
// listener serves without authentication. The service applies it; a
// configuration loader can call it to name its own key in the error,
// a *confcheck.Error (the service's ConfigError).
func CheckAdminAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return &confcheck.Error{Field: "AdminAddr", Reason: fmt.Sprintf("%q is not host:port", addr), Err: err}
	}
	if isLoopbackHost(host) {
		return nil
	}
	return &confcheck.Error{Field: "AdminAddr", Reason: fmt.Sprintf(
		"%q is not a loopback address (127.0.0.1, ::1 or localhost): the admin listener serves without authentication", addr)}
}

// isLoopbackHost reports whether host is localhost or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoopbackHost reports whether r names a loopback host (localhost or a
// loopback IP) in its Host header. The admin listener refuses any other:
// a web page elsewhere could otherwise read its endpoints through a DNS
// name it points at 127.0.0.1 (DNS rebinding).
func LoopbackHost(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	return isLoopbackHost(strings.Trim(host, "[]"))
}

// AdminPath reports whether the admin listener serves path (below the
// prefix): what operators look at. It never changes anything, and the raw
// collections are left to authorized clients.
func AdminPath(path string) bool {
	switch path {
	case "/status", "/checkin/preview", "/view", "/view/live", "/metrics":
		return true
	}
	return false
}
