// Package tlsfiles loads, validates and reloads the PEM files of one side of
// a mutual TLS connection: a certificate and its key, a CA bundle and,
// optionally, certificate revocation lists. The client, the service and the
// development PKI all load their files through it, so a file is judged the
// same way (and its errors worded the same way) everywhere.
//
// Load reads the files once into a Material, an immutable and validated
// set. A Reloader holds the Material in use and replaces it when the files
// change: it looks at each file's identity, size and modification time at
// most once per interval (and at once when asked, after a handshake failure
// or a SIGHUP), so a renewed certificate, a rotated CA bundle or a new CRL
// is used from the next handshake on, with no restart. Files that fail
// validation (half written, a key that does not match its certificate)
// leave the previous Material in place; the failure is logged once per
// change of the files and the load is tried again at the next check, so
// both writers that replace files by rename and writers that rewrite them
// in place are handled.
//
// ClientConfig and ServerConfig turn a Reloader into a *tls.Config whose
// callbacks (GetClientCertificate and VerifyConnection on the client,
// GetConfigForClient on the service) read the current Material at each
// handshake.
package tlsfiles
