//go:build unix

package datadir

import (
	"io/fs"
	"os"
	"strconv"
	"syscall"

	"github.com/analytics-client/analytics/internal/confcheck"
)

// checkOwner refuses a file (or directory) of the store that another user
// owns.
func checkOwner(path string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Geteuid(); int(st.Uid) != uid {
		return &confcheck.Error{Field: "DataDir", File: path, Reason: "is owned by user " + strconv.Itoa(int(st.Uid)) +
			", not by the user the service runs as (" + strconv.Itoa(uid) + ")"}
	}
	return nil
}
