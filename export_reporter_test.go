package analytics

import "os"

// WithSpoolFsync returns o with the spool's fsync replaced by fsync, which
// should call (*os.File).Sync itself: the seam through which tests observe
// that data reached the disk before a call returned.
func WithSpoolFsync(o ReporterOptions, fsync func(*os.File) error) ReporterOptions {
	o.fsync = fsync
	return o
}
