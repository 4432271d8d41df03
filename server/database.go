package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/store"
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

// openPostgres is OpenDatabase as New uses it.
func openPostgres(cfg Config, opts store.Options) (store.Store, error) {
	st, err := OpenDatabase(cfg, opts)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// OpenDatabase opens the store in the database cfg.Database names as New
// does: it connects within ConnectTimeout, checks that the database answers
// and migrates its schema. It is for tools that work on the store without a
// service, such as analyticsd migrate. A database it cannot use is a
// *DatabaseError naming the host.
func OpenDatabase(cfg Config, opts store.Options) (*store.Postgres, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pc, err := pgxpool.ParseConfig(cfg.Database.URL)
	if err != nil {
		// The parse error may quote the password: say only what is wrong.
		return nil, &ConfigError{Field: "Database.URL", Reason: "is not a PostgreSQL connection string"}
	}
	pc.MaxConns = int32(cfg.Database.PoolSize)
	if pc.MaxConns <= 0 {
		pc.MaxConns = DefaultDatabasePoolSize
	}
	host := pc.ConnConfig.Host
	if host != "" && host[0] != '/' {
		host = net.JoinHostPort(host, strconv.Itoa(int(pc.ConnConfig.Port)))
	}
	timeout := cfg.Database.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultDatabaseConnectTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, &DatabaseError{Host: host, Err: err}
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &DatabaseError{Host: host, Err: fmt.Errorf("cannot connect: %w", err)}
	}
	st, err := store.OpenPostgres(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, &DatabaseError{Host: host, Err: err}
	}
	cfg.Logger.Info("store: PostgreSQL", "host", host, "database", pc.ConnConfig.Database, "pool", pc.MaxConns)
	return st, nil
}
