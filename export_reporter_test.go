package analytics

import (
	"os"
	"time"
)

// WithSpoolFsync returns o with the spool's fsync replaced by fsync, which
// should call (*os.File).Sync itself: the seam through which tests observe
// that data reached the disk before a call returned.
func WithSpoolFsync(o ReporterOptions, fsync func(*os.File) error) ReporterOptions {
	o.fsync = fsync
	return o
}

// WithSpoolWrite returns o with the spool's data writes going through
// write, which tests use to fail them as a full or read-only disk does.
func WithSpoolWrite(o ReporterOptions, write func(f *os.File, b []byte, off int64) (int, error)) ReporterOptions {
	o.write = write
	return o
}

// WithSpoolCheck returns o with the spool's background loss check every d.
func WithSpoolCheck(o ReporterOptions, d time.Duration) ReporterOptions {
	o.spoolCheck = d
	return o
}
