//go:build linux

package spool

import (
	"errors"
	"os"
	"slices"
	"syscall"
	"testing"
)

// A real full disk: a 64 KiB tmpfs (mounting needs root; elsewhere the
// write seam's tests cover the same paths). Appends fail with ENOSPC and
// leave the spool usable; acknowledging makes room (older segments are
// deleted even though the ack entries cannot be written), the unwritten
// ack entries are written once there is room, and a reopened spool has
// nothing pending: nothing delivered would be sent again.
func TestRealFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	s := mustOpen(t, dir, Options{SegmentSize: 8 << 10})
	rec := make([]byte, 1000)
	var ids []uint64
	var err error
	for range 200 {
		var id uint64
		if id, err = s.Append(rec); err != nil {
			break
		}
		ids = append(ids, id)
	}
	if !errors.Is(err, syscall.ENOSPC) || len(ids) < 20 {
		t.Fatalf("after %d appends: %v, want ENOSPC", len(ids), err)
	}
	// Newest first: the active segment's ack entries cannot be written
	// until older segments are deleted.
	for _, id := range slices.Backward(ids) {
		s.Ack(id)
	}
	if st := s.Stats(); st.Records != 0 {
		t.Fatalf("Records = %d after acknowledging all", st.Records)
	}
	if err := s.retryAcks(); err != nil {
		t.Fatalf("retrying the acks once there is room: %v", err)
	}
	if _, err := s.Append(rec); err != nil {
		t.Fatalf("Append once there is room: %v", err)
	}
	mustClose(t, s)
	s = mustOpen(t, dir, Options{SegmentSize: 8 << 10})
	defer mustClose(t, s)
	if p := s.Pending(); len(p) != 1 {
		t.Fatalf("%d records pending after reopening, want 1 (the last append): delivered ones would be sent again", len(p))
	}
}
