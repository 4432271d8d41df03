package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/analytics-client/analytics/server"
)

// jvmExchange does what the JVM client does for one command: GET the
// entrypoint, then POST to the advertised id, each on a new connection.
func jvmExchange(t *testing.T, c *http.Client, entry, command, body string) reply {
	t.Helper()
	ep := do(t, c, "GET", entry, "")
	if ep.status != 200 {
		t.Fatalf("entrypoint: %d %s", ep.status, ep.body)
	}
	var doc struct {
		Commands map[string]struct {
			ID string `json:"id"`
		} `json:"commands"`
	}
	if err := json.Unmarshal([]byte(ep.body), &doc); err != nil {
		t.Fatal(err)
	}
	return do(t, c, "POST", doc.Commands[command].ID, body)
}

func TestJVMExchange(t *testing.T) {
	for _, auth := range []server.ClientAuth{server.ClientAuthNeed, server.ClientAuthWant} {
		t.Run(string(auth), func(t *testing.T) {
			ts := startServer(t, func(c *server.Config) { c.TLS.ClientAuth = auth })
			fresh := ts.newClient(t, true, true)
			for range 3 {
				if got := jvmExchange(t, fresh, ts.url, "event", `{"event":"jvm.e"}`); got.status != 200 {
					t.Fatalf("event: %d %s", got.status, got.body)
				}
				if got := jvmExchange(t, fresh, ts.url, "snapshot", `{"fields":{"jvm.f":1}}`); got.status != 200 {
					t.Fatalf("snapshot: %d %s", got.status, got.body)
				}
			}
			if got := do(t, ts.client, "GET", ts.url+"/collections/events", ""); len(got.body) < 10 {
				t.Errorf("events: %s", got.body)
			}
		})
	}
}

// TestWantWithoutCertificate: under want a client without a certificate
// gets through the handshake and is unauthenticated: the default rules
// refuse it, and a rule with allow-unauthenticated lets it in.
func TestWantWithoutCertificate(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.TLS.ClientAuth = server.ClientAuthWant })
	anon := ts.newClient(t, false, true)
	if got := do(t, anon, "GET", ts.url, ""); got.status != 403 {
		t.Fatalf("entrypoint without a certificate under want and default rules: %d %s", got.status, got.body)
	}
	open := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthWant
		c.Authorization = openRules
	})
	if got := jvmExchange(t, open.newClient(t, false, true), open.url, "event", `{"event":"anon"}`); got.status != 200 {
		t.Fatalf("event without a certificate under want and allow-unauthenticated: %d %s", got.status, got.body)
	}
}

// TestNoneWithoutCertificate: under none nobody is authenticated: the
// default rules refuse everything, a rule with allow-unauthenticated lets
// requests in.
func TestNoneWithoutCertificate(t *testing.T) {
	def := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthNone
		c.TLS.CAFile = ""
		c.Authorization = serviceDefaults
	})
	if got := do(t, def.newClient(t, true, true), "GET", def.url, ""); got.status != 403 {
		t.Fatalf("entrypoint under none and default rules, with a certificate: %d", got.status)
	}
	ts := startServer(t, func(c *server.Config) {
		c.TLS.ClientAuth = server.ClientAuthNone
		c.TLS.CAFile = ""
		c.Authorization = openRules
	})
	if got := do(t, ts.newClient(t, false, true), "GET", ts.url, ""); got.status != 200 {
		t.Fatalf("entrypoint under none: %d", got.status)
	}
}

func TestNeedWithoutCertificateFailsHandshake(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.TLS.ClientAuth = server.ClientAuthNeed; c.Logger = discard() })
	anon := ts.newClient(t, false, true)
	_, err := tryDo(anon, "GET", ts.url, "")
	if err == nil {
		t.Fatal("GET without a client certificate under need succeeded")
	}
	if !isHandshakeFailure(err) {
		t.Errorf("error %v is not a handshake failure", err)
	}
}

func TestTLSMinimumVersion(t *testing.T) {
	ts := startServer(t, func(c *server.Config) { c.Logger = discard() })
	c := ts.newClient(t, true, true)
	tc := c.Transport.(*http.Transport).TLSClientConfig
	tc.MinVersion, tc.MaxVersion = 0x0301, 0x0302 // TLS 1.0 to 1.1
	if _, err := tryDo(c, "GET", ts.url, ""); err == nil {
		t.Fatal("TLS 1.1 handshake succeeded")
	}
}
