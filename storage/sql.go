// Package storage keeps what 办成事 must not lose: cases, timelines,
// attachments, the outbox, what WeCom sent, sync cursors and dialog sessions,
// in MySQL or SQLite behind one set of queries (SQL); and what replicas must
// share at run time, locks, rate limits, WeCom's pauses and the access-token
// cache, in Redis (Redis), in MySQL when there is no Redis (DBShared: GET_LOCK
// locks, rate_events, api_pauses; the token cache and signals in process), or
// in process on the embedded default (Memory).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"banchengshi/cases"
	"banchengshi/pii"

	_ "github.com/go-sql-driver/mysql" // registers "mysql"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

var _ cases.Repo = (*SQL)(nil)

// querier is what *sql.DB, *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// SQL is the cases.Repo over MySQL or SQLite. Personal data is sealed with
// the Sealer on the way in and opened on the way out. A SQL returned by InTx
// is bound to one transaction.
type SQL struct {
	db     *sql.DB
	q      querier
	tx     *sql.Tx // nil unless bound to a transaction
	d      dialect
	sealer *pii.Sealer
	keys   *keyRing    // which key to seal with, shared by the whole process
	pinned *pii.Sealer // the sealer of this transaction, once sealKey chose it
	memory bool        // an SQLite database in memory, on one connection
}

// MySQLMaxOpenConns bounds one replica's connections to MySQL.
const MySQLMaxOpenConns = 24

// Open connects to the database, adds the settings storage relies on to dsn
// unless it sets them itself, applies the embedded migrations and checks the
// sealer's keys against those the personal data was sealed with (a
// *KeyError when they cannot open it). driver is "sqlite" (modernc.org/sqlite;
// a file DSN's directory is created) or "mysql". opts are for tests (WrapConnector).
func Open(ctx context.Context, driver, dsn string, sealer *pii.Sealer, opts ...Option) (*SQL, error) {
	if sealer == nil {
		return nil, errors.New("open storage: a pii sealer is required")
	}
	memory := false
	var err error
	switch driver {
	case DriverSQLite:
		dsn, memory, err = prepareSQLite(dsn)
	case DriverMySQL:
		dsn, err = mysqlDSN(dsn)
	default:
		return nil, fmt.Errorf("open storage: unknown driver %q (want sqlite or mysql)", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	db, err := openDB(driver, dsn, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", driver, err)
	}
	switch {
	case memory:
		// Every connection to :memory: is a database of its own.
		db.SetMaxOpenConns(1)
	case driver == DriverMySQL:
		// A burst of callbacks must queue for a connection, not exhaust the
		// server's (MariaDB's default max_connections is 151, shared by all
		// replicas).
		db.SetMaxOpenConns(MySQLMaxOpenConns)
		db.SetMaxIdleConns(MySQLMaxOpenConns)
		db.SetConnMaxLifetime(5 * time.Minute)
	}
	s := &SQL{db: db, q: db, d: dialect{name: driver}, sealer: sealer, keys: newKeyRing(sealer), memory: memory}
	if err := s.firstPing(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.checkKeys(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("check data keys: %w", err)
	}
	if _, err := s.refreshKeys(ctx, s.q, ""); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// firstPing opens the first connection. Two processes opening a new SQLite
// file at once can meet SQLITE_BUSY while one of them switches it to WAL,
// before the busy timeout applies; that passes in a moment, so it is retried.
func (s *SQL) firstPing(ctx context.Context) error {
	for attempt := 1; ; attempt++ {
		err := s.Ping(ctx)
		if err == nil || !s.d.isConflict(err) || attempt == 20 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 25 * time.Millisecond):
		}
	}
}

// Driver returns "sqlite" or "mysql".
func (s *SQL) Driver() string { return s.d.name }

// Ping checks that the database answers.
func (s *SQL) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s database: %w", s.d.name, err)
	}
	return nil
}

// Close closes the database. Calling it on a transaction-bound SQL does
// nothing: the transaction ends with InTx.
func (s *SQL) Close() error {
	if s.tx != nil {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s database: %w", s.d.name, err)
	}
	return nil
}

// InTx runs fn with a Repo bound to one transaction, committed when fn
// returns nil and rolled back otherwise (also when fn panics). On a Repo that
// is already bound to a transaction it runs fn in that transaction.
func (s *SQL) InTx(ctx context.Context, fn func(cases.Repo) error) error {
	return s.inTx(ctx, func(t *SQL) error { return fn(t) })
}

func (s *SQL) inTx(ctx context.Context, fn func(*SQL) error) error { return s.inTxOpts(ctx, nil, fn) }

// inTxOpts is inTx with options for a transaction it begins.
func (s *SQL) inTxOpts(ctx context.Context, opts *sql.TxOptions, fn func(*SQL) error) (err error) {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return s.wrap(err, "begin transaction")
	}
	t := &SQL{db: s.db, q: tx, tx: tx, d: s.d, sealer: s.sealer, keys: s.keys, memory: s.memory}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(t); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(err, "commit")
	}
	return nil
}

// wrap maps driver errors to the cases sentinels and says what was being done.
func (s *SQL) wrap(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: %w", what, cases.ErrNotFound)
	case s.d.isMissingRef(err):
		return fmt.Errorf("%s: %w: %v", what, cases.ErrNotFound, err)
	case s.d.isDuplicate(err):
		return fmt.Errorf("%s: %w: %v", what, cases.ErrDuplicate, err)
	case s.d.isConflict(err):
		return fmt.Errorf("%s: %w: %v", what, cases.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// updatedRow checks that an UPDATE by id found its row. MySQL reports rows
// changed, not rows matched, so zero rows is confirmed by a look-up before it
// becomes ErrNotFound.
func (s *SQL) updatedRow(ctx context.Context, res sql.Result, table string, id int64, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return s.wrap(err, "%s: rows affected", what)
	}
	if n > 0 {
		return nil
	}
	var one int
	err = s.q.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
	if err != nil {
		return s.wrap(err, "%s", what)
	}
	return nil
}

// DB is the database handle, for tests that look at what is stored as a
// database dump would show it.
func (s *SQL) DB() *sql.DB { return s.db }
