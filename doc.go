// Package analytics reports usage analytics from Go programs to an
// installation's analytics service, the Go successor of the JVM
// analytics-client library.
//
// There are two kinds of analytics: snapshots, the state of a system at a
// time as a flat map of namespaced fields ("puppetserver.jruby.instances":
// 4), usually sent periodically; and events, one discrete named occurrence
// ("puppetserver.cert.signed") with optional metadata, sent as it happens.
//
// # Client
//
// New checks a Config (the service URL and the PEM files for mutual TLS) and
// returns a Client. StoreSnapshot and StoreEvent validate the payload
// against the service's value model (see Fields) before any traffic and
// return the service's typed answer. The client keeps its connections alive
// and fetches the service's entrypoint once, fetching it again only when a
// command meets a broken connection or a 404. Every command carries an
// Idempotency-Key header, which our service uses to store a retried command
// only once.
//
// # Certificates
//
// The SSL files are read again when they change (looked at once per
// Config.CertCheckInterval, and at once after a TLS failure), so a
// certificate renewed or a CA bundle rotated by Puppet is used from the
// next connection on, with no restart; files that fail validation leave
// those in use in place. A Reporter parked by a certificate problem
// resumes as soon as new files load. ReporterStats.CertExpiry is the
// expiry of the client certificate in use.
//
// # Errors
//
// Validation problems are *ValidationError, naming the offending path. A
// service that cannot be reached is ErrUnreachable (logged once per outage
// at INFO as "Cannot locate analytics service; not reporting", the JVM
// library's line), with the cause in the chain. A 422 naming rejected
// fields or events is *RejectedError; any other error answer is
// *ResponseError. A 206 (some snapshot fields refused by the whitelist) is
// not an error: SnapshotResult.Rejected lists them.
//
// # Reporter
//
// A Reporter never makes its caller wait for the network: Event and
// Snapshot validate and enqueue, and workers deliver with retries,
// exponential backoff with full jitter, and Retry-After. In durable mode
// (ReporterOptions.Dir) the queue is a crash-safe spool on disk, so what
// was accepted survives crashes, outages and restarts. Flush and Close
// honour their deadlines and say what they could not deliver; nothing is
// dropped silently.
//
// # Configuration
//
// Config decodes from the JVM library's JSON keys, and LoadConfig reads the
// analytics section of a Trapperkeeper installation's configuration (HOCON,
// JSON, YAML or INI files, or a conf.d directory).
// On a Puppet node, LoadPuppetConfig("") needs no configuration at all: it
// reads the agent's puppet.conf for the server, the certificate, key, CA
// bundle and CRL (see docs/puppet.md).
//
// The service side lives in package server, a real in-process service for
// tests in package analyticstest, and the commands in cmd/analytics (the
// CLI) and cmd/analyticsd (the service).
package analytics
