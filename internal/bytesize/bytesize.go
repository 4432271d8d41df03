// Package bytesize writes byte counts for people, in binary units with
// one decimal ("1.0 MiB of 1.0 GiB"), the one way the service's page, the
// CLI's status summary and analyticsd check show sizes. It is standard
// library only, so the CLI can use it without linking the service.
package bytesize

import (
	"strconv"
)

// units are the binary (IEC) units above bytes.
var units = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// Format writes n as "512 B" below 1 KiB and otherwise in the largest
// binary unit that keeps the number under 1024, with one decimal:
// 1056768 is "1.0 MiB", 1073741824 "1.0 GiB".
func Format(n int64) string {
	if n < 0 {
		return "-" + Format(-n)
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	for _, u := range units {
		v /= 1024
		// Round as the output will, so that 1048575 is "1.0 MiB", not
		// "1024.0 KiB".
		if r := strconv.FormatFloat(v, 'f', 1, 64); v < 1024 && r != "1024.0" || u == units[len(units)-1] {
			return r + " " + u
		}
	}
	panic("unreachable")
}

// Of writes used against limit, "1.0 MiB of 1.0 GiB"; a limit of 0 or
// less is none: "1.0 MiB (no limit)".
func Of(used, limit int64) string {
	if limit <= 0 {
		return Format(used) + " (no limit)"
	}
	return Format(used) + " of " + Format(limit)
}
