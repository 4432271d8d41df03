package bytesize_test

import (
	"math"
	"testing"

	"github.com/analytics-client/analytics/internal/bytesize"
)

func TestFormat(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 1: "1 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		1048575: "1.0 MiB", 1056768: "1.0 MiB", 10 << 20: "10.0 MiB", 1073741824: "1.0 GiB",
		1<<40 - 1: "1.0 TiB", math.MaxInt64: "8.0 EiB", -2048: "-2.0 KiB",
	} {
		if got := bytesize.Format(n); got != want {
			t.Errorf("Format(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOf(t *testing.T) {
	if got := bytesize.Of(1056768, 1073741824); got != "1.0 MiB of 1.0 GiB" {
		t.Errorf("Of = %q", got)
	}
	if got := bytesize.Of(10, 0); got != "10 B (no limit)" {
		t.Errorf("Of without limit = %q", got)
	}
}
