package spool

import "errors"

// Errors returned by the spool, wrapped with the operation and, where there
// is one, the file; test for them with errors.Is.
var (
	// ErrFull is returned by Append when the record would take the
	// unacknowledged bytes past Options.MaxBytes. Acknowledging records
	// makes room again.
	ErrFull = errors.New("spool: full")
	// ErrClosed is returned by calls on a closed Spool.
	ErrClosed = errors.New("spool: closed")
	// ErrTooLarge is returned by Append for data over MaxRecordSize.
	ErrTooLarge = errors.New("spool: record too large")
	// ErrLocked is returned by Open when another Spool (in this or another
	// process) holds the directory.
	ErrLocked = errors.New("spool: directory in use by another spool")
	// ErrLost is returned by Append, Sync and Close once the spool found
	// its directory, lock file or active segment removed or replaced
	// behind its back: what it holds is no longer on disk. It is sticky;
	// the records must be appended to a newly opened Spool.
	ErrLost = errors.New("spool: directory removed or replaced while open")
	// ErrNotFound is returned by Read for a record that is unknown or
	// acknowledged.
	ErrNotFound = errors.New("spool: no such record")
	// ErrCorrupt is returned by Read when the record's bytes on disk no
	// longer match their checksum.
	ErrCorrupt = errors.New("spool: record damaged on disk")
)
