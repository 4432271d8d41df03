package confcheck_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/analytics-client/analytics/internal/confcheck"
)

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://h:8140/analytics": "",
		"http://h":                 "",
		"ftp://h/x":                `analytics: config F: scheme "ftp" is not http or https`,
		"h:8140/x":                 `scheme "h" is not http or https`,
		"/analytics":               "is not an absolute URL",
		"https:///x":               "is not an absolute URL",
		"https://h:x/":             `cannot parse "https://h:x/"`,
		"":                         "is not an absolute URL",
		"https://h:99999/x":        "port 99999 of",
		"https://h:0/x":            "port 0 of",
		"https://h:65535/x":        "",
	} {
		u, err := confcheck.URL("F", raw)
		var ce *confcheck.Error
		switch {
		case want == "" && (err != nil || u.String() != raw):
			t.Errorf("%q: %v %v", raw, u, err)
		case want != "" && (!errors.As(err, &ce) || ce.Field != "F" || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", raw, err, want)
		}
	}
}

func TestErrorNamesFile(t *testing.T) {
	cause := errors.New("cause")
	err := &confcheck.Error{Field: "ssl-opts.ssl-cert", File: "/c.pem", Reason: "does not exist", Err: cause}
	if err.Error() != "analytics: config ssl-opts.ssl-cert (/c.pem): does not exist" || !errors.Is(err, cause) {
		t.Errorf("%v", err)
	}
}
