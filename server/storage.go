package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/analytics-client/analytics/internal/store"
)

// KindStorageFull is the error kind of a 507: the store has reached
// Config.MaxStoreBytes.
const KindStorageFull = "storage-full"

// Retry-After of the storage answers: a full store waits for a check-in,
// a failed write may succeed at once.
const (
	StoreFullRetryAfter    = 10 * time.Minute
	StorageErrorRetryAfter = 10 * time.Second
)

// storageFailed answers a command whose entry could not be stored: 507
// when the store is full, 503 otherwise, both with Retry-After. The log
// says why, once per interval per condition (a full store fails every
// command until the next check-in).
func (s *Server) storageFailed(kind store.Kind, err error) *apiError {
	if errors.Is(err, store.ErrFull) {
		s.storeLog.Log(context.Background(), slog.LevelError, "store-full",
			"store full: commands refused with 507 until a check-in frees room", "limit-bytes", s.cfg.MaxStoreBytes)
		return &apiError{Status: http.StatusInsufficientStorage, Kind: KindStorageFull,
			RetryAfter: int(StoreFullRetryAfter / time.Second),
			Msg:        "The service's store is full; nothing was stored. Retry after the service has checked in."}
	}
	s.storeLog.Log(context.Background(), slog.LevelError, "store-error:"+kind.Collection(), "storing an entry", "kind", kind.Collection(), "err", err)
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindStorageError,
		RetryAfter: int(StorageErrorRetryAfter / time.Second),
		Msg:        "The entry could not be stored; it is safe to retry. Check the log for details."}
}

// storeReadFailed answers a read of a collection that failed before
// anything was sent.
func (s *Server) storeReadFailed(kind store.Kind, err error) *apiError {
	s.storeLog.Log(context.Background(), slog.LevelError, "store-read:"+kind.Collection(), "reading a collection", "kind", kind.Collection(), "err", err)
	return storeReadError()
}

// observeCommit is the store's commit hook: metrics, and the test hook of
// Config.
func (s *Server) observeCommit(ci store.CommitInfo) {
	s.views.ObserveCommit(ci.Calls, ci.Took)
	if s.cfg.onStoreCommit != nil {
		s.cfg.onStoreCommit(ci)
	}
}

// storeReadError answers an operator request whose data could not be read
// from the store.
func storeReadError() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Kind: KindStorageError,
		RetryAfter: int(StorageErrorRetryAfter / time.Second),
		Msg:        "The store could not be read; it is safe to retry. Check the log for details."}
}
