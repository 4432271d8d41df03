package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/analytics-client/analytics/server"
)

// backupSocketName is the unix socket in the data directory on which the
// running service hands out copies of its store (analyticsd backup). It is
// a socket in the data directory, not a route on a TCP listener, because a
// copy holds every stored entry: only who may read the store file itself
// may ask for one. The directory is the service user's (mode 0700), the
// socket is mode 0600, and on Linux the service also checks the caller's
// credentials (root or the service's own user).
const backupSocketName = "backup.sock"

// backupTrailer carries the size of the copy after the body, so that the
// backup command can tell a whole copy from one cut short.
const backupTrailer = "Backup-Bytes"

// backupSocket serves backups of the running service. Create it with
// listenBackup and stop it with Close.
type backupSocket struct {
	ln   net.Listener
	http *http.Server
	done chan error
}

// listenBackup binds the backup socket in dir and serves srv's backups on
// it. The caller holds the store open, so no other service runs on dir and
// a socket file left by one that crashed can be removed.
func listenBackup(srv *server.Server, dir string, log *slog.Logger) (*backupSocket, error) {
	path := filepath.Join(dir, backupSocketName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("backup socket: %w", err)
	}
	b := &backupSocket{ln: peerChecked{Listener: ln, log: log}, done: make(chan error, 1)}
	b.http = &http.Server{Handler: backupHandler(srv, log), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		err := b.http.Serve(b.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		b.done <- err
	}()
	return b, nil
}

// Close stops the socket, waiting (until ctx ends) for a copy in progress.
func (b *backupSocket) Close(ctx context.Context) error {
	err := b.http.Shutdown(ctx)
	if err != nil {
		_ = b.http.Close()
	}
	return errors.Join(err, <-b.done)
}

// backupHandler answers GET /backup with the store's copy; the size
// follows in the Backup-Bytes trailer. A copy that fails half way aborts
// the connection, so the client never mistakes it for a whole one.
func backupHandler(srv *server.Server, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Trailer", backupTrailer)
		start := time.Now()
		n, err := srv.Backup(r.Context(), w)
		switch {
		case err != nil && n == 0:
			log.Error("backup refused", "error", err)
			w.Header().Del("Trailer")
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		case err != nil:
			log.Error("backup cut off", "bytes", n, "error", err)
			panic(http.ErrAbortHandler)
		}
		w.Header().Set(backupTrailer, strconv.FormatInt(n, 10))
		log.Info("backup copied", "bytes", n, "duration", time.Since(start).Round(time.Millisecond))
	})
	return mux
}
