package checkin

import (
	"os"
	"path/filepath"
)

// Check-in modes: whether the stored data leaves the site.
const (
	// ModeOn: check-ins upload to the update server.
	ModeOn = "on"
	// ModeOptedOut: the opt-out file exists; nothing is sent and stored
	// entries are discarded at each check-in.
	ModeOptedOut = "opted-out"
	// ModeNoProduct: no product name is configured; nothing is sent and
	// stored entries are discarded at each check-in.
	ModeNoProduct = "no-product"
	// ModeNoUpstream: no update server is configured; nothing is sent and
	// the entries are kept.
	ModeNoUpstream = "no-upstream"
)

// Mode says whether a check-in now would send anything, and if not why,
// in words.
func (c *Checker) Mode() (mode, reason string) {
	if optOut := c.OptedOut(); optOut != "" {
		return ModeOptedOut, "opted out: " + optOut + " exists"
	}
	if c.cfg.Product == "" {
		return ModeNoProduct, "no product name configured"
	}
	if c.cfg.UpdateServerURL == "" {
		return ModeNoUpstream, "no update server configured"
	}
	return ModeOn, ""
}

// OptOutFile is the file whose presence turns check-in off.
func (c *Checker) OptOutFile() string {
	return filepath.Join(c.cfg.ConfDir, OptOutFile)
}

// OptedOut returns the path of the opt-out file when it exists, else "".
// While it exists the service makes no network contact at all.
func (c *Checker) OptedOut() string {
	optOut := c.OptOutFile()
	if _, err := os.Stat(optOut); err == nil {
		return optOut
	}
	return ""
}

// Upstream is the update server's URL, empty when there is none.
func (c *Checker) Upstream() string { return c.cfg.UpdateServerURL }
