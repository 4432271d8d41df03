package version

import "testing"

func TestUnstampedIsDevel(t *testing.T) {
	// A test binary records no module version and carries no stamp; the
	// stamped case is tested on the built analyticsd (cmd/analyticsd).
	if got := String(); got != "devel" {
		t.Fatalf("String() = %q, want devel for an unstamped test build", got)
	}
	if got := UserAgent(); got != "analytics-go/devel" {
		t.Fatalf("UserAgent() = %q, want analytics-go/devel", got)
	}
}
