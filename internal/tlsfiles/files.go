package tlsfiles

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Files names the PEM files of one side of a TLS connection. Empty names
// are not loaded: CertFile and KeyFile go together, CAFile and CRLFile are
// optional (a CRL needs the CA that signed it).
type Files struct {
	CertFile string // the certificate presented to the peer
	KeyFile  string // its private key
	CAFile   string // one or more CA certificates that verify the peer
	CRLFile  string // one or more CRLs, each signed by a CA in CAFile
}

// Role says which of the Files an error is about.
type Role int

// The roles of the files.
const (
	RoleCert Role = iota
	RoleKey
	RoleCA
	RoleCRL
)

func (r Role) String() string {
	switch r {
	case RoleCert:
		return "certificate"
	case RoleKey:
		return "key"
	case RoleCA:
		return "CA bundle"
	case RoleCRL:
		return "CRL"
	}
	return fmt.Sprintf("Role(%d)", int(r))
}

// FileError is a file that cannot be used, with the reason in words an
// operator can act on ("does not exist", "does not match the certificate
// in /etc/…/cert.pem", "expired at …").
type FileError struct {
	Role   Role
	File   string // empty when the file is required but not named
	Reason string
	Err    error // the underlying error, if any
}

func (e *FileError) Error() string {
	if e.File == "" {
		return e.Role.String() + ": " + e.Reason
	}
	return e.Role.String() + " " + e.File + ": " + e.Reason
}

// Unwrap returns the underlying error, if any.
func (e *FileError) Unwrap() error { return e.Err }

// path returns the file name of role.
func (f Files) path(r Role) string {
	switch r {
	case RoleCert:
		return f.CertFile
	case RoleKey:
		return f.KeyFile
	case RoleCA:
		return f.CAFile
	default:
		return f.CRLFile
	}
}

// check reports names that cannot work together.
func (f Files) check() error {
	switch {
	case f.CertFile != "" && f.KeyFile == "":
		return &FileError{Role: RoleKey, Reason: "is required when the certificate is set"}
	case f.KeyFile != "" && f.CertFile == "":
		return &FileError{Role: RoleCert, Reason: "is required when the key is set"}
	case f.CRLFile != "" && f.CAFile == "":
		return &FileError{Role: RoleCA, Reason: "is required when a CRL is set (the CRL is checked against it)"}
	}
	return nil
}

// read reads the file of role.
func (f Files) read(r Role) ([]byte, error) {
	name := f.path(r)
	data, err := os.ReadFile(name)
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err // the error names the file already
		}
		reason := "cannot be read: " + cause.Error()
		if errors.Is(err, os.ErrNotExist) {
			reason = "does not exist"
		}
		return nil, &FileError{Role: r, File: name, Reason: reason, Err: err}
	}
	return data, nil
}
