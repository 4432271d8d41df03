package analytics

import "time"

// minLook bounds how often a parked worker looks at the certificate files,
// however short the client's check interval.
const minLook = 10 * time.Millisecond

// certGeneration counts the certificate files the client has loaded; zero
// without SSL files.
func (r *Reporter) certGeneration() uint64 {
	certs := r.client.certSource()
	if certs == nil {
		return 0
	}
	return certs.Generation()
}

// pause waits d before the next attempt after an attempt (made with
// certificate generation gen) whose verdict was v, unless the reporter
// stops first (then it reports false). A configuration problem (a
// certificate refused either way, a 401 or 403) parks the item for the
// longest wait, but it usually ends when an operator or Puppet replaces
// the certificate files: the wait then ends as soon as the client has
// loaded new files (or at once, if it loaded them after the attempt
// began), and while it lasts the files are looked at every check
// interval.
func (r *Reporter) pause(v verdict, d time.Duration, gen uint64) bool {
	certs := r.client.certSource()
	if v != retryAtCap || certs == nil {
		return r.sleep(d)
	}
	changed := certs.Changed()
	if certs.Generation() != gen {
		return r.stopCtx.Err() == nil
	}
	wait := r.clock.After(d)
	every := max(certs.Interval(), minLook)
	for {
		var look <-chan time.Time
		if certs.Interval() > 0 {
			look = r.clock.After(every)
		}
		select {
		case <-wait:
			return true
		case <-changed:
			return true
		case <-look:
			_ = certs.Reload() // closes changed when the files changed and are good
		case <-r.stopCtx.Done():
			return false
		}
	}
}
