package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DBLocker keeps locks in MySQL with GET_LOCK, for deployments on MySQL
// without Redis: replicas that share a database must never lock in process.
//
// A GET_LOCK lock belongs to the connection that took it, so each held lock
// pins a connection of the locker's own pool (never the queries' pool, which
// it could starve). The lease is kept on both sides:
//   - on ours, a timer gives the lock up ttl after the last refresh;
//   - on the server's, the pinned connection's wait_timeout is the ttl, so a
//     holder that vanished without closing its socket (a lost node) loses the
//     lock once its connection has been idle for ttl (whole seconds, at
//     least one).
//
// A holder that dies outright (kill -9, OOM) closes its socket, and the
// server frees its locks at once. Any error on the pinned connection counts
// as the lock lost: the connection is dropped, which frees it if it was held.
type DBLocker struct {
	db    *sql.DB
	scope string

	mu   sync.Mutex
	held map[*dbLock]struct{} // dropped by Close: sql.DB.Close leaves pinned connections open
}

var _ Locker = (*DBLocker)(nil)

// NewDBLocker opens a pool of its own on the MySQL database at dsn and
// checks that it answers. Lock names are scoped to that database, so that
// deployments (and tests) sharing a server do not block each other.
func NewDBLocker(ctx context.Context, dsn string) (*DBLocker, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("database locks: parse mysql dsn: %w", err)
	}
	cfg.InterpolateParams = true // one round trip per statement on a pinned connection
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("database locks: %w", err)
	}
	// Connections come back to the pool only when a TryLock found the lock
	// taken; held ones are dropped on release.
	db.SetMaxIdleConns(4)
	var scope sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&scope); err != nil {
		db.Close()
		return nil, fmt.Errorf("database locks: connect to mysql: %w", err)
	}
	return &DBLocker{db: db, scope: scope.String, held: map[*dbLock]struct{}{}}, nil
}

// Ping checks that MySQL answers.
func (l *DBLocker) Ping(ctx context.Context) error {
	if err := l.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping mysql for locks: %w", err)
	}
	return nil
}

// Close frees the locks still held, with their connections, and closes the
// pool.
func (l *DBLocker) Close() error {
	l.mu.Lock()
	held := make([]*dbLock, 0, len(l.held))
	for h := range l.held {
		held = append(held, h)
	}
	l.mu.Unlock()
	for _, h := range held {
		h.expire()
	}
	if err := l.db.Close(); err != nil {
		return fmt.Errorf("close database locks: %w", err)
	}
	return nil
}

// lockName is the server-wide GET_LOCK name of key: MySQL allows 64
// characters, and the name must be unique per database.
func (l *DBLocker) lockName(key string) string {
	sum := sha256.Sum256([]byte(l.scope + "\x00" + key))
	return "bcs/" + hex.EncodeToString(sum[:20])
}

// TryLock takes the lock named key for ttl if no connection holds it.
func (l *DBLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (Lock, bool, error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("take lock %q: %w", key, err)
	}
	name := l.lockName(key)
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 0)", name).Scan(&got); err != nil {
		dropConn(conn)
		return nil, false, fmt.Errorf("take lock %q: %w", key, err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close() // holds nothing: back to the pool
		return nil, false, nil
	}
	h := &dbLock{locker: l, key: key, name: name, conn: conn}
	if err := h.setTimeout(ctx, ttl); err != nil {
		dropConn(conn)
		return nil, false, fmt.Errorf("take lock %q: %w", key, err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	l.mu.Lock()
	l.held[h] = struct{}{}
	l.mu.Unlock()
	h.timer = time.AfterFunc(ttl, h.expire)
	return h, true, nil
}

// dbLock is a held GET_LOCK lock and the connection it lives on.
type dbLock struct {
	locker    *DBLocker
	key, name string

	mu      sync.Mutex
	conn    *sql.Conn // nil once the lock is released or lost
	timer   *time.Timer
	timeout int // the pinned connection's wait_timeout, seconds
}

// setTimeout makes the server drop the connection, and with it the lock,
// after ttl without a statement.
func (h *dbLock) setTimeout(ctx context.Context, ttl time.Duration) error {
	secs := max(1, int(math.Ceil(ttl.Seconds())))
	if secs == h.timeout {
		return nil
	}
	if _, err := h.conn.ExecContext(ctx, fmt.Sprintf("SET SESSION wait_timeout = %d", secs)); err != nil {
		return err
	}
	h.timeout = secs
	return nil
}

// expire gives the lock up when ttl passed without a refresh.
func (h *dbLock) expire() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop()
}

// drop frees the lock by closing its connection; h.mu must be held.
func (h *dbLock) drop() {
	if h.conn != nil {
		h.timer.Stop()
		dropConn(h.conn)
		h.conn = nil
		h.locker.mu.Lock()
		delete(h.locker.held, h)
		h.locker.mu.Unlock()
	}
}

func (h *dbLock) Refresh(ctx context.Context, ttl time.Duration) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil || !h.timer.Stop() {
		h.drop()
		return fmt.Errorf("refresh lock %q: %w", h.key, ErrLockLost)
	}
	var mine sql.NullBool
	err := h.conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", h.name).Scan(&mine)
	if err == nil && mine.Valid && mine.Bool {
		err = h.setTimeout(ctx, ttl)
		if err == nil {
			h.timer.Reset(ttl)
			return nil
		}
	}
	h.drop()
	if err != nil {
		return fmt.Errorf("refresh lock %q: %w (connection: %v)", h.key, ErrLockLost, err)
	}
	return fmt.Errorf("refresh lock %q: %w", h.key, ErrLockLost)
}

func (h *dbLock) Unlock(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil || !h.timer.Stop() {
		h.drop()
		return fmt.Errorf("release lock %q: %w", h.key, ErrLockLost)
	}
	var released sql.NullInt64
	err := h.conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK(?)", h.name).Scan(&released)
	h.drop()
	if err != nil {
		return fmt.Errorf("release lock %q: %w (connection: %v)", h.key, ErrLockLost, err)
	}
	if !released.Valid || released.Int64 != 1 {
		return fmt.Errorf("release lock %q: %w", h.key, ErrLockLost)
	}
	return nil
}

// dropConn closes a pinned connection instead of returning it to the pool:
// it may hold a lock or carry a short wait_timeout.
func dropConn(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

// DBShared is the shared stores of a MySQL deployment without Redis: locks
// (DBLocker), rate limits (DBRateLimiter) and WeCom's pauses (DBPauses) in
// MySQL. The access-token cache stays in process: WeCom hands every replica
// the same token while it is valid, so each replica fetching its own costs
// one call per replica. Signals stay in process too (Signal).
type DBShared struct {
	*Memory
	locks *DBLocker
	rates *DBRateLimiter
}

var _ SharedStores = (*DBShared)(nil)

// NewDBShared connects the database locks and rate limits to the MySQL
// database at dsn, whose migrations must have been applied (Open does).
func NewDBShared(ctx context.Context, dsn string) (*DBShared, error) {
	locks, err := NewDBLocker(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &DBShared{Memory: NewMemory(), locks: locks, rates: &DBRateLimiter{db: locks.db, scope: locks.scope}}, nil
}

// Signal reaches this process only: without Redis, replicas learn of each
// other's work by polling.
func (s *DBShared) Signal() Signal { return s.Memory.Signal() }

// Locker returns the MySQL locks.
func (s *DBShared) Locker() Locker { return s.locks }

// Pauses returns WeCom's pauses kept in MySQL, seen by every replica.
func (s *DBShared) Pauses() APIPauses { return DBPauses{db: s.locks.db} }

// RateLimiter returns the MySQL rate limits, one budget for every replica.
func (s *DBShared) RateLimiter() RateLimiter { return s.rates }

// Ping checks that MySQL answers.
func (s *DBShared) Ping(ctx context.Context) error { return s.locks.Ping(ctx) }

// Close closes the locks' pool.
func (s *DBShared) Close() error { return s.locks.Close() }
