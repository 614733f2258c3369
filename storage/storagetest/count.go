package storagetest

import (
	"context"
	"database/sql/driver"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"

	"banchengshi/storage"
)

// Counter counts what the product asks the database, as the driver sees it:
// statements run (each a round trip to a server), statements prepared (one
// more round trip each: the MySQL driver prepares every statement with
// arguments unless it may interpolate them), transactions begun, committed
// and rolled back, and the writes run outside a transaction, which the
// database commits on their own.
type Counter struct {
	mu      sync.Mutex
	counts  Counts
	queries map[string]int
}

// Counts is a snapshot of a Counter.
type Counts struct {
	Statements int64 // statements run, prepared or not
	Prepares   int64 // statements prepared
	Begins     int64
	Commits    int64
	Rollbacks  int64
	// Autocommits are statements other than SELECT run outside a
	// transaction: each is a commit of its own in the database, though the
	// driver sends no COMMIT.
	Autocommits int64
}

// DatabaseCommits is how many times the database committed a change: the
// transactions committed and the writes committed on their own.
func (c Counts) DatabaseCommits() int64 { return c.Commits + c.Autocommits }

// RoundTrips is how many times the product waited for the database: every
// statement, prepare, begin, commit and rollback. (Closing a prepared
// statement sends a packet but waits for no answer.)
func (c Counts) RoundTrips() int64 {
	return c.Statements + c.Prepares + c.Begins + c.Commits + c.Rollbacks
}

// Sub is c minus an earlier snapshot.
func (c Counts) Sub(before Counts) Counts {
	return Counts{c.Statements - before.Statements, c.Prepares - before.Prepares, c.Begins - before.Begins,
		c.Commits - before.Commits, c.Rollbacks - before.Rollbacks, c.Autocommits - before.Autocommits}
}

// Add is c plus more.
func (c Counts) Add(more Counts) Counts {
	return Counts{c.Statements + more.Statements, c.Prepares + more.Prepares, c.Begins + more.Begins,
		c.Commits + more.Commits, c.Rollbacks + more.Rollbacks, c.Autocommits + more.Autocommits}
}

// Counts returns the counts so far.
func (c *Counter) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts
}

// Queries returns how often each statement ran, by its text with runs of
// white space folded.
func (c *Counter) Queries() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.queries)
}

// Reset sets every count back to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts = Counts{}
	c.queries = nil
}

// statement counts one run of query; inTx says whether its connection is in
// a transaction.
func (c *Counter) statement(query string, inTx bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts.Statements++
	if !inTx && !isRead(query) {
		c.counts.Autocommits++
	}
	if c.queries == nil {
		c.queries = map[string]int{}
	}
	c.queries[strings.Join(strings.Fields(query), " ")]++
}

// isRead reports whether query only reads.
func isRead(query string) bool {
	f := strings.Fields(query)
	return len(f) > 0 && strings.EqualFold(f[0], "SELECT")
}

func (c *Counter) add(field *int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	*field++
}

// Option is the storage.Open option that counts in c.
func (c *Counter) Option() storage.Option {
	return storage.WrapConnector(func(inner driver.Connector) driver.Connector { return countingConnector{inner, c} })
}

// CountedSQLite is SQLite with every statement counted in the Counter
// returned.
func CountedSQLite(t testing.TB) (*storage.SQL, *Counter) {
	t.Helper()
	c := &Counter{}
	return openSQLite(t, Sealer(t), c.Option()), c
}

// CountedMySQL is MySQL with every statement counted in the Counter
// returned.
func CountedMySQL(t testing.TB) (*storage.SQL, *Counter) {
	t.Helper()
	c := &Counter{}
	return openMySQL(t, Sealer(t), c.Option()), c
}

type countingConnector struct {
	inner driver.Connector
	c     *Counter
}

func (k countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := k.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{inner: conn, c: k.c}, nil
}

func (k countingConnector) Driver() driver.Driver { return k.inner.Driver() }

// countingConn passes everything to the driver's connection, offering
// database/sql exactly the optional interfaces the driver offers (ErrSkip
// where it has none), so that counting changes nothing it does.
type countingConn struct {
	inner driver.Conn
	c     *Counter
	inTx  bool // database/sql uses a connection from one goroutine at a time
}

var (
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

func (k *countingConn) Prepare(query string) (driver.Stmt, error) {
	return k.PrepareContext(context.Background(), query)
}

func (k *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := k.inner.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = k.inner.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	k.c.add(&k.c.counts.Prepares)
	return &countingStmt{inner: st, conn: k, query: query}, nil
}

func (k *countingConn) Close() error { return k.inner.Close() }

func (k *countingConn) Begin() (driver.Tx, error) {
	return k.BeginTx(context.Background(), driver.TxOptions{})
}

func (k *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var tx driver.Tx
	var err error
	if b, ok := k.inner.(driver.ConnBeginTx); ok {
		tx, err = b.BeginTx(ctx, opts)
	} else {
		tx, err = k.inner.Begin() //nolint:staticcheck // the driver offers nothing else
	}
	if err != nil {
		return nil, err
	}
	k.c.add(&k.c.counts.Begins)
	k.inTx = true
	return countingTx{tx, k}, nil
}

func (k *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := k.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	if !errors.Is(err, driver.ErrSkip) {
		k.c.statement(query, k.inTx)
	}
	return res, err
}

func (k *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := k.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if !errors.Is(err, driver.ErrSkip) {
		k.c.statement(query, k.inTx)
	}
	return rows, err
}

func (k *countingConn) Ping(ctx context.Context) error {
	if p, ok := k.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (k *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := k.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (k *countingConn) IsValid() bool {
	if v, ok := k.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (k *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := k.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingTx struct {
	inner driver.Tx
	conn  *countingConn
}

func (t countingTx) Commit() error {
	t.conn.inTx = false
	t.conn.c.add(&t.conn.c.counts.Commits)
	return t.inner.Commit()
}

func (t countingTx) Rollback() error {
	t.conn.inTx = false
	t.conn.c.add(&t.conn.c.counts.Rollbacks)
	return t.inner.Rollback()
}

// countingStmt counts each run of a prepared statement.
type countingStmt struct {
	inner driver.Stmt
	conn  *countingConn
	query string
}

var (
	_ driver.StmtExecContext   = (*countingStmt)(nil)
	_ driver.StmtQueryContext  = (*countingStmt)(nil)
	_ driver.NamedValueChecker = (*countingStmt)(nil)
)

func (s *countingStmt) Close() error  { return s.inner.Close() }
func (s *countingStmt) NumInput() int { return s.inner.NumInput() }

func (s *countingStmt) Exec(args []driver.Value) (driver.Result, error) {
	s.conn.c.statement(s.query, s.conn.inTx)
	return s.inner.Exec(args) //nolint:staticcheck // the driver's own fallback
}

func (s *countingStmt) Query(args []driver.Value) (driver.Rows, error) {
	s.conn.c.statement(s.query, s.conn.inTx)
	return s.inner.Query(args) //nolint:staticcheck // the driver's own fallback
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.inner.(driver.StmtExecContext)
	if !ok {
		return s.Exec(values(args))
	}
	s.conn.c.statement(s.query, s.conn.inTx)
	return e.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.inner.(driver.StmtQueryContext)
	if !ok {
		return s.Query(values(args))
	}
	s.conn.c.statement(s.query, s.conn.inTx)
	return q.QueryContext(ctx, args)
}

// CheckNamedValue asks the statement's checker, else the connection's: a
// statement that offers one hides the connection's from database/sql.
func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := s.inner.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return s.conn.CheckNamedValue(nv)
}

func values(args []driver.NamedValue) []driver.Value {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}
