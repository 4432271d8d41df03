package server

import "log/slog"

// File descriptors the service keeps out of its connection bound: the
// store, log and TLS files, the listeners, the poller, upstream requests.
// A third of the process's limit, at least 24 and at most 256.
const (
	minFDHeadroom = 24
	maxFDHeadroom = 256
)

// fitConnections lowers c.MaxConnections (or its default) so that every
// listener at its bound, plus the headroom, stays within the process's
// limit of open files, soft (RLIMIT_NOFILE; 0: unknown or unlimited).
// Past that limit the service could not accept a new connection at all,
// so it could not close an idle one to make room for it: idle clients
// would lock every new one out.
func fitConnections(c Config, soft uint64, log *slog.Logger) int {
	listeners := 0
	for _, a := range []string{c.HTTPAddr, c.HTTPSAddr, c.AdminAddr} {
		if a != "" {
			listeners++
		}
	}
	want := c.MaxConnections
	if want <= 0 {
		want = DefaultMaxConnections
	}
	if soft == 0 || listeners == 0 || soft > 1<<30 {
		return c.MaxConnections
	}
	headroom := min(max(soft/3, minFDHeadroom), maxFDHeadroom)
	fit := max(int((int64(soft)-int64(headroom))/int64(listeners)), 1)
	if want <= fit {
		return c.MaxConnections
	}
	if c.MaxConnections > 0 {
		if log == nil {
			log = slog.Default()
		}
		log.Warn("webserver.max-connections lowered to what the limit of open files allows",
			"max-connections", c.MaxConnections, "lowered-to", fit, "open-files-limit", soft, "listeners", listeners)
	}
	return fit
}
