package limits

// File descriptors the service keeps out of its connection bound: the
// store, log and TLS files, the listeners, the poller, upstream requests.
// A third of the process's limit, at least 24 and at most 256.
const (
	minFDHeadroom = 24
	maxFDHeadroom = 256
)

// FitConns is the most connections each of listeners listeners may hold
// so that all of them at their bound, plus headroom for other files, stay
// within soft, the process's limit of open files (RLIMIT_NOFILE, see
// FileLimit): want when it fits, else the largest bound that does. Past
// that limit a listener could not accept a new connection at all, so it
// could not close an idle one to make room for it: idle clients would
// lock every new one out. soft 0 (unknown) or past 2^30 (unlimited)
// bounds nothing.
func FitConns(want, listeners int, soft uint64) int {
	if soft == 0 || listeners == 0 || soft > 1<<30 {
		return want
	}
	headroom := min(max(soft/3, minFDHeadroom), maxFDHeadroom)
	return min(want, max(int((int64(soft)-int64(headroom))/int64(listeners)), 1))
}
