package server

import (
	"context"
	"errors"
	"time"

	"github.com/analytics-client/analytics/internal/store"
	"github.com/analytics-client/analytics/internal/store/pgstore"
)

// Defaults of DatabaseConfig.
const (
	DefaultDatabasePoolSize       = 16
	DefaultDatabaseConnectTimeout = 10 * time.Second
)

// DatabaseConfig selects PostgreSQL as the store, so that several replicas
// share one site's entries (analytics.database). The zero value means the
// embedded bbolt file in Config.DataDir.
type DatabaseConfig struct {
	// URL is a PostgreSQL connection string, as a URL
	// (postgres://user:password@host:5432/dbname?sslmode=verify-full) or
	// in keyword=value form.
	URL string
	// PoolSize is the most connections this replica opens; zero means
	// DefaultDatabasePoolSize.
	PoolSize int
	// ConnectTimeout bounds the connection New makes to check the database
	// and its schema; zero means DefaultDatabaseConnectTimeout.
	ConnectTimeout time.Duration
}

// DatabaseError reports a database New cannot use, naming its host.
type DatabaseError struct {
	Host string // host:port, or the socket directory
	Err  error
}

func (e *DatabaseError) Error() string {
	return "database " + e.Host + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DatabaseError) Unwrap() error { return e.Err }

// openDatabase opens the store in the database cfg.Database names, as New
// does: it connects within ConnectTimeout, checks that the database answers
// and migrates its schema. A database it cannot use is a *DatabaseError
// naming the host.
func openDatabase(cfg Config, opts store.Options) (store.Store, error) {
	timeout := cfg.Database.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultDatabaseConnectTimeout
	}
	poolSize := cfg.Database.PoolSize
	if poolSize <= 0 {
		poolSize = DefaultDatabasePoolSize
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := pgstore.Connect(ctx, cfg.Database.URL, poolSize, opts)
	var ce *pgstore.ConnectError
	switch {
	case errors.Is(err, pgstore.ErrBadURL):
		return nil, &ConfigError{Field: "Database.URL", Reason: "is not a PostgreSQL connection string"}
	case errors.As(err, &ce):
		return nil, &DatabaseError{Host: ce.Host, Err: ce.Err}
	case err != nil:
		return nil, err
	}
	return st, nil
}
