package analyticstest

// RotateCertificates replaces the service's CA and certificates the way a
// Puppet CA rotation ends: a new CA signs new server and client
// certificates, and the CA bundle holds only the new CA, so the old
// certificates no longer verify. Every file is replaced by rename, and the
// service and Client use the new ones at once. A program configured from
// Config (which names the same files) must pick them up by itself, as our
// client does after its next TLS failure: use this to test that a program
// rides through a rotation. Over plain HTTP it fails the test.
// Call it from the test goroutine; it fails the test with t.Fatal.
func (s *Server) RotateCertificates() {
	s.t.Helper()
	if s.opts.plainHTTP {
		s.t.Fatal("analyticstest: RotateCertificates: the service serves plain HTTP")
	}
	if err := s.bundle.Rotate(); err != nil {
		s.t.Fatalf("analyticstest: RotateCertificates: %v", err)
	}
	if err := s.srv.ReloadCertificates(); err != nil {
		s.t.Fatalf("analyticstest: RotateCertificates: %v", err)
	}
	if err := s.certs.Reload(); err != nil {
		s.t.Fatalf("analyticstest: RotateCertificates: %v", err)
	}
	s.client.CloseIdleConnections()
}
