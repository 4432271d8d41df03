package checkin

import (
	"os"
	"path/filepath"

	"github.com/analytics-client/analytics/wire"
)

// Mode says whether a check-in now would send anything, and if not why,
// in words.
func (c *Checker) Mode() (mode wire.Mode, reason string) {
	if optOut := c.OptedOut(); optOut != "" {
		return wire.ModeOptedOut, "opted out: " + optOut + " exists"
	}
	if c.cfg.Product == "" {
		return wire.ModeNoProduct, "no product name configured"
	}
	if c.cfg.UpdateServerURL == "" {
		return wire.ModeNoUpstream, "no update server configured"
	}
	return wire.ModeOn, ""
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
