package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	r := runCLI(t, testEnv(t, nil), "--help")
	expect(t, r, exitOK)
	for _, w := range []string{"event", "snapshot", "entrypoint", "try", "version", "Exit status", "3  the service is unreachable",
		"4  a certificate or TLS failure", "go build -o analytics"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("analytics --help does not mention %q", w)
		}
	}
	for _, cmd := range commands() {
		for _, flag := range []string{"--help", "-h"} {
			r := runCLI(t, testEnv(t, nil), cmd.name, flag)
			expect(t, r, exitOK)
			if !strings.HasPrefix(r.stdout, "Usage: analytics "+cmd.name) || !strings.Contains(r.stdout, "Example:\n  analytics "+cmd.name) {
				t.Errorf("analytics %s %s lacks the usage line or an example:\n%s", cmd.name, flag, r.stdout)
			}
			// The exit-status table belongs to the commands that talk to a
			// service; the others have a line that fits them.
			talks := strings.Contains(r.stdout, "  -url")
			if talks != strings.Contains(r.stdout, "3  the service is unreachable") || !strings.Contains(r.stdout, "Exit status") {
				t.Errorf("analytics %s %s: exit statuses do not fit the command:\n%s", cmd.name, flag, r.stdout)
			}
			// The commands that only read say so; those that store say
			// stored; every one that talks names the TLS status and how
			// a duration is written.
			if talks {
				reads := cmd.name == "entrypoint" || cmd.name == "status" || cmd.name == "preview"
				zero := "0  stored"
				if reads {
					zero = "0  the service answered"
				}
				for _, w := range []string{zero, "4  a certificate or TLS failure", "go build -o analytics", "DURATION with a unit, such as 10s"} {
					if !strings.Contains(r.stdout, w) {
						t.Errorf("analytics %s %s does not say %q:\n%s", cmd.name, flag, w, r.stdout)
					}
				}
				if reads && strings.Contains(r.stdout, "0  stored") {
					t.Errorf("analytics %s %s speaks of storing:\n%s", cmd.name, flag, r.stdout)
				}
			}
			if strings.Contains(r.stdout, " \n") {
				t.Errorf("analytics %s %s: trailing space:\n%q", cmd.name, flag, r.stdout)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		r := runCLI(t, testEnv(t, nil), arg)
		expect(t, r, exitOK)
		// "devel" unstamped; .ci/package stamps the release version.
		if !regexp.MustCompile(`^analytics (devel|v?\d\S*) go\S+\n$`).MatchString(r.stdout) {
			t.Errorf("analytics %s printed %q", arg, r.stdout)
		}
	}
}
