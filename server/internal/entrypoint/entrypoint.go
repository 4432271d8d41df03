// Package entrypoint is the service's entrypoint document (GET {prefix}/),
// the JVM service's byte for byte: where each command is posted and what
// its parameters are, under the URL clients should use.
package entrypoint

import (
	"net"
	"net/http"
	"strings"
)

// Relation URIs of the commands, as the JVM service advertises them.
const (
	relEvent    = "https://api.puppetlabs.com/analytics/v1/commands/event"
	relSnapshot = "https://api.puppetlabs.com/analytics/v1/commands/snapshot"
)

// The entrypoint document. Structs, not maps, keep the key order of
// docs/protocol.md.
type (
	entrypointDoc struct {
		Commands commandsDoc `json:"commands"`
		Version  versionDoc  `json:"version"`
	}
	commandsDoc struct {
		Event    commandDoc `json:"event"`
		Snapshot commandDoc `json:"snapshot"`
	}
	commandDoc struct {
		Name   string `json:"name"`
		Rel    string `json:"rel"`
		ID     string `json:"id"`
		Params any    `json:"params"`
	}
	eventParams struct {
		Namespace paramDoc `json:"namespace"`
		Event     paramDoc `json:"event"`
		Metadata  paramDoc `json:"metadata"`
	}
	snapshotParams struct {
		Namespace paramDoc `json:"namespace"`
		Fields    paramDoc `json:"fields"`
	}
	paramDoc struct {
		Datatype string `json:"datatype"`
		Optional string `json:"optional,omitempty"`
	}
	versionDoc struct {
		Server string `json:"server"`
	}
)

// Document is the entrypoint document for base, the URL clients should use
// (BaseURL), naming the service's version; it encodes with encoding/json
// in the key order of docs/protocol.md.
func Document(base, version string) any {
	return entrypointDoc{
		Commands: commandsDoc{
			Event: commandDoc{Name: "event", Rel: relEvent, ID: base + "/commands/event",
				Params: eventParams{
					Namespace: paramDoc{Datatype: "string"},
					Event:     paramDoc{Datatype: "string"},
					Metadata:  paramDoc{Datatype: "object", Optional: "true"},
				}},
			Snapshot: commandDoc{Name: "snapshot", Rel: relSnapshot, ID: base + "/commands/snapshot",
				Params: snapshotParams{
					Namespace: paramDoc{Datatype: "string"},
					Fields:    paramDoc{Datatype: "object"},
				}},
		},
		Version: versionDoc{Server: version},
	}
}

// BaseURL is the entrypoint URL as the client of r should use it:
// publicURL when set, or the request's scheme, host and port plus prefix.
// The port is always present, as the JVM service writes it.
func BaseURL(r *http.Request, publicURL, prefix string) string {
	if publicURL != "" {
		return publicURL
	}
	scheme, port := "http", "80"
	if r.TLS != nil {
		scheme, port = "https", "443"
	}
	return scheme + "://" + hostPort(r, port) + prefix
}

// hostPort is the request's Host with a port always present. A Host
// without one gets the scheme's default port, as the JVM service writes
// it (Host: example.org on HTTPS advertises example.org:443); a request
// without a Host gets localhost and the port it arrived on.
func hostPort(r *http.Request, defaultPort string) string {
	host, port := r.Host, defaultPort
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	if host == "" {
		host, port = "localhost", ""
		if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			_, port, _ = net.SplitHostPort(la.String())
		}
		if port == "" {
			return host
		}
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // a bare IPv6 address
	}
	return host + ":" + port
}
