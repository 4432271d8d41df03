package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/internal/tlsfiles"
)

// ErrNoTLS is returned by ReloadCertificates when the server has no TLS
// listener (none configured, or Listen not called yet).
var ErrNoTLS = errors.New("server: no TLS listener")

// loadCertificates loads the TLS listener's files into a Reloader that
// checks them for changes at most every Config.CertCheckInterval.
func (s *Server) loadCertificates() (*tlsfiles.Reloader, error) {
	t := s.cfg.TLS
	files := tlsfiles.Files{CertFile: t.CertFile, KeyFile: t.KeyFile, CAFile: t.CAFile, CRLFile: t.CRLFile}
	if t.ClientAuth == ClientAuthNone {
		files.CAFile, files.CRLFile = "", ""
	}
	rl, err := tlsfiles.New(files, tlsfiles.Options{Interval: s.cfg.CertCheckInterval, Logger: s.log})
	if err != nil {
		return nil, tlsConfigError(err)
	}
	return rl, nil
}

// tlsConfigError names the TLSFiles field of a file that cannot be used.
func tlsConfigError(err error) error {
	var fe *tlsfiles.FileError
	if !errors.As(err, &fe) {
		return err
	}
	field := map[tlsfiles.Role]string{tlsfiles.RoleCert: "TLS.CertFile", tlsfiles.RoleKey: "TLS.KeyFile",
		tlsfiles.RoleCA: "TLS.CAFile", tlsfiles.RoleCRL: "TLS.CRLFile"}[fe.Role]
	return &ConfigError{Field: field, File: fe.File, Reason: fe.Reason, Err: err}
}

// tlsConfig is the listener's TLS configuration: TLS 1.2 or later, the
// client certificate policy, and the certificate, CA bundle and CRLs of
// the moment, taken from rl at each handshake. It offers the protocols srv
// serves.
func tlsConfig(rl *tlsfiles.Reloader, auth ClientAuth, srv *http.Server) *tls.Config {
	template := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: nextProtos(srv)}
	switch auth {
	case ClientAuthNone:
		template.ClientAuth = tls.NoClientCert
	case ClientAuthNeed:
		template.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		template.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return rl.ServerConfig(template)
}

// nextProtos lists the ALPN protocols srv serves over TLS, following
// net/http's rules (Protocols when set, else HTTP/2 unless TLSNextProto
// is set without it). The configuration GetConfigForClient returns
// replaces the one http.Server.ServeTLS prepared, so it must offer the
// same protocols.
func nextProtos(srv *http.Server) []string {
	h1, h2 := true, true
	if p := srv.Protocols; p != nil {
		h1, h2 = p.HTTP1(), p.HTTP2()
	} else if srv.TLSNextProto != nil {
		_, h2 = srv.TLSNextProto["h2"]
	}
	var protos []string
	if h2 {
		protos = append(protos, "h2")
	}
	if h1 {
		protos = append(protos, "http/1.1")
	}
	return protos
}

// ReloadCertificates reads the TLS listener's certificate, key, CA bundle
// and CRL files now, instead of at the next check (analyticsd calls it on
// SIGHUP). Files that changed but cannot be used leave the ones in use in
// place; the error says what is wrong with them.
func (s *Server) ReloadCertificates() error {
	rl := s.certificates()
	if rl == nil {
		return ErrNoTLS
	}
	if err := rl.Reload(); err != nil {
		return tlsConfigError(err)
	}
	return nil
}

// CertificateExpiry is when the certificate the TLS listener presents
// expires; zero when there is no TLS listener.
func (s *Server) CertificateExpiry() time.Time {
	rl := s.certificates()
	if rl == nil {
		return time.Time{}
	}
	return rl.Current().Expiry()
}

// suspectCertificates brings the next look at the TLS files forward after
// a failed handshake (at most one look a second).
func (s *Server) suspectCertificates() {
	if rl := s.certificates(); rl != nil {
		rl.Suspect()
	}
}

// certificates is the TLS listener's Reloader, nil before Listen binds
// one. Every request reads it (peerRevoked), so it takes no lock.
func (s *Server) certificates() *tlsfiles.Reloader { return s.tlsCerts.Load() }

// crls are the CRLs of the TLS listener, for the status
// (opsview.Config.CRLs); none without one.
func (s *Server) crls() []*x509.RevocationList {
	if rl := s.certificates(); rl != nil {
		return rl.Current().CRLs
	}
	return nil
}
