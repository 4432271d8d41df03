package server

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ErrNoBackup is returned by Backup when the store is not a file the
// service can copy (PostgreSQL: back it up with pg_dump).
var ErrNoBackup = errors.New("server: backup: the store is a PostgreSQL database; back it up with pg_dump")

// Backup writes a consistent copy of the store file to w while the
// service runs and takes writes: every entry acknowledged before Backup
// was called is in it. It returns the bytes written, and ErrNoBackup for
// a PostgreSQL store. Whoever calls it decides who may have the copy: it
// holds every stored entry.
func (s *Server) Backup(ctx context.Context, w io.Writer) (int64, error) {
	b, ok := s.store.(interface {
		Backup(ctx context.Context, w io.Writer) (int64, error)
	})
	if !ok {
		return 0, ErrNoBackup
	}
	n, err := b.Backup(ctx, w)
	if err != nil {
		return n, fmt.Errorf("server: %w", err)
	}
	return n, nil
}
