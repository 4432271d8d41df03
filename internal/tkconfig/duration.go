package tkconfig

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// durationUnit maps Typesafe Config's duration unit names to their length.
func durationUnit(u string) (time.Duration, bool) {
	switch u {
	case "ms", "milli", "millis", "millisecond", "milliseconds":
		return time.Millisecond, true
	case "ns", "nano", "nanos", "nanosecond", "nanoseconds":
		return time.Nanosecond, true
	case "us", "micro", "micros", "microsecond", "microseconds":
		return time.Microsecond, true
	case "s", "second", "seconds":
		return time.Second, true
	case "m", "minute", "minutes":
		return time.Minute, true
	case "h", "hour", "hours":
		return time.Hour, true
	case "d", "day", "days":
		return 24 * time.Hour, true
	}
	return 0, false
}

// durationForms is what a duration may look like, for messages.
const durationForms = "e.g. 10s, 500ms, 5m or \"30 seconds\""

// bareNumber is the error for a duration written without a unit.
func bareNumber(num string) error {
	return fmt.Errorf("%s has no unit: write %s", num, durationForms)
}

// parseDuration parses "<number> <unit>", falling back to Go's syntax. A
// number without a unit is refused.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || i == 0 && (s[i] == '-' || s[i] == '+')) {
		i++
	}
	num, unitName := s[:i], strings.TrimSpace(s[i:])
	if unitName == "" && strings.ContainsAny(num, "0123456789") {
		return 0, bareNumber(num)
	}
	if unit, ok := durationUnit(unitName); ok && num != "" {
		if !strings.Contains(num, ".") {
			if n, err := strconv.ParseInt(num, 10, 64); err == nil {
				return scaleDuration(float64(n), n, unit)
			}
		}
		if f, err := strconv.ParseFloat(num, 64); err == nil {
			return scaleDuration(f, 0, unit)
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	return 0, fmt.Errorf("%q is not a duration: write %s", s, durationForms)
}

// scaleDuration multiplies a count by unit, exactly when the count is the
// integer i (f == float64(i)), rejecting results out of range.
func scaleDuration(f float64, i int64, unit time.Duration) (time.Duration, error) {
	if f == float64(i) && i <= math.MaxInt64/int64(unit) && i >= math.MinInt64/int64(unit) {
		return time.Duration(i) * unit, nil
	}
	d := f * float64(unit)
	if math.IsNaN(d) || d >= math.MaxInt64 || d < math.MinInt64 {
		return 0, fmt.Errorf("duration %v is out of range", f)
	}
	return time.Duration(d), nil
}
