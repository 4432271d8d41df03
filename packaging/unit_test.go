package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// maxExposure is the most systemd-analyze security may rate the unit:
// "OK" starts below 2.1 (Puppet's own puppetserver.service rates 9.2).
const maxExposure = 2.0

// systemdAnalyze returns the path of systemd-analyze, skipping the test
// when it is missing.
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is missing: apt-get install systemd (.ci/run installs it)")
	}
	return path
}

var exposureLine = regexp.MustCompile(`Overall exposure level for analyticsd\.service: (\d+\.\d+)`)

// unitExposure rates the unit file at path.
func unitExposure(t *testing.T, path string) float64 {
	t.Helper()
	out, err := exec.Command(systemdAnalyze(t), "security", "--offline=yes", "--no-pager", path).CombinedOutput()
	m := exposureLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v; no exposure level in:\n%s", err, out)
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

// TestUnitExposure: the unit is rated at most 2.0 ("OK").
func TestUnitExposure(t *testing.T) {
	if got := unitExposure(t, "analyticsd.service"); got > maxExposure {
		t.Fatalf("exposure %.1f, want at most %.1f", got, maxExposure)
	}
}

// TestExposureCountsTheHardening makes sure the rating above measures the
// unit: without its sandboxing lines the same unit rates far worse.
func TestExposureCountsTheHardening(t *testing.T) {
	data, err := os.ReadFile("analyticsd.service")
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(data), "# Hardening:")
	weak := t.TempDir() + "/analyticsd.service"
	if err := os.WriteFile(weak, []byte(text+"\n[Install]\nWantedBy=multi-user.target\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := unitExposure(t, weak); got <= maxExposure {
		t.Fatalf("the unit without its hardening rates %.1f; the check cannot tell", got)
	}
}

// TestUnitSettings: the settings the service and the guide rely on.
func TestUnitSettings(t *testing.T) {
	data, err := os.ReadFile("analyticsd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Type=notify", "ExecStart=/usr/bin/analyticsd --config /etc/analyticsd/analyticsd.conf",
		"ExecReload=/bin/kill -HUP $MAINPID", "User=analytics", "StateDirectory=analyticsd",
		"StateDirectoryMode=0700", "LimitNOFILE=16384",
	} {
		if !strings.Contains(string(data), "\n"+want+"\n") {
			t.Errorf("the unit lacks %q", want)
		}
	}
}

// TestGuideMatchesThePackage: docs/operating.md shows the packaged
// configuration as it is, and the unit's exposure as measured.
func TestGuideMatchesThePackage(t *testing.T) {
	guide, err := os.ReadFile("../docs/operating.md")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile("analyticsd.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(guide), "```hocon\n"+string(conf)+"```") {
		t.Error("docs/operating.md does not show packaging/analyticsd.conf as it is")
	}
	want := fmt.Sprintf("its exposure **%.1f (OK)**", unitExposure(t, "analyticsd.service"))
	if !strings.Contains(strings.ReplaceAll(string(guide), "\n", " "), want) {
		t.Errorf("docs/operating.md does not say %q", want)
	}
}
