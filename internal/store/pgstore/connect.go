package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/analytics-client/analytics/internal/store"
)

// ErrBadURL is returned by Connect for a URL that is not a PostgreSQL
// connection string. It does not quote the URL, which may hold a password.
var ErrBadURL = errors.New("not a PostgreSQL connection string")

// ConnectError reports a database Connect reached no further than its
// host: unreachable, refusing the login, or with a schema it cannot use.
type ConnectError struct {
	Host string // host:port, or the socket directory
	Err  error
}

func (e *ConnectError) Error() string {
	return "database " + e.Host + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ConnectError) Unwrap() error { return e.Err }

// Connect opens a pool of at most poolSize connections (zero: pgx's
// default) to the database url names, checks that it answers, and opens
// the store on it (see Open): the service's way in, and analyticsd
// migrate's. ctx bounds the connecting, not the store's life. A url that
// cannot be parsed is ErrBadURL; a database that cannot be used is a
// *ConnectError naming the host.
func Connect(ctx context.Context, url string, poolSize int, opts store.Options) (*Store, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, ErrBadURL // the parse error may quote the password
	}
	if poolSize > 0 {
		pc.MaxConns = int32(poolSize)
	}
	host := pc.ConnConfig.Host
	if host != "" && host[0] != '/' {
		host = net.JoinHostPort(host, strconv.Itoa(int(pc.ConnConfig.Port)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, &ConnectError{Host: host, Err: err}
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, &ConnectError{Host: host, Err: fmt.Errorf("cannot connect: %w", err)}
	}
	s, err := Open(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, &ConnectError{Host: host, Err: err}
	}
	opts.WithDefaults().Logger.Info("store: PostgreSQL", "host", host, "database", pc.ConnConfig.Database, "pool", pc.MaxConns)
	return s, nil
}
