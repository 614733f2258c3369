package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// DBRateLimiter is the sliding-window limiter of a MySQL deployment without
// Redis: one row per allowed event in rate_events (migration 0013), timed by
// the MySQL server's clock, each key's check-and-record serialised by a
// GET_LOCK of its own, so that every replica counts against one budget.
type DBRateLimiter struct {
	db    *sql.DB
	scope string
}

var _ RateLimiter = (*DBRateLimiter)(nil)

// rateLockWait bounds how long Allow waits for another replica's check of
// the same key (a few milliseconds each).
const rateLockWait = 5 // seconds

// nowUS is the MySQL server's time in microseconds.
const nowUS = "CAST(UNIX_TIMESTAMP(NOW(6)) * 1000000 AS SIGNED)"

// Allow records an event for key and reports true when fewer than limit
// events were allowed in the last window; a refused event is not counted.
func (l *DBRateLimiter) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	sum := sha256.Sum256([]byte(key))
	k := hex.EncodeToString(sum[:20])
	lockSum := sha256.Sum256([]byte(l.scope + "\x00rate\x00" + key))
	name := "bcs/rate/" + hex.EncodeToString(lockSum[:20])
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("rate limit %q: %w", key, err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", name, rateLockWait).Scan(&got); err != nil {
		dropConn(conn)
		return false, fmt.Errorf("rate limit %q: %w", key, err)
	}
	if !got.Valid || got.Int64 != 1 {
		conn.Close()
		return false, fmt.Errorf("rate limit %q: another replica held its lock for %d s", key, rateLockWait)
	}
	ok, err := allowLocked(ctx, conn, k, limit, window)
	if err != nil {
		dropConn(conn) // frees the lock with the connection
		return false, fmt.Errorf("rate limit %q: %w", key, err)
	}
	if _, err := conn.ExecContext(ctx, "DO RELEASE_LOCK(?)", name); err != nil {
		dropConn(conn)
		return ok, nil // the event is recorded; the lock went with the connection
	}
	conn.Close()
	return ok, nil
}

// allowLocked forgets k's events older than window, then records one more if
// fewer than limit remain; the caller holds k's lock.
func allowLocked(ctx context.Context, conn *sql.Conn, k string, limit int, window time.Duration) (bool, error) {
	if _, err := conn.ExecContext(ctx, "DELETE FROM rate_events WHERE rate_key = ? AND at_us <= "+nowUS+" - ?",
		k, window.Microseconds()); err != nil {
		return false, err
	}
	// Count, then insert: k's lock keeps others out in between. (One
	// INSERT … SELECT … FROM DUAL did the same, but MariaDB answered it now
	// and then with error 1467, "failed to read auto-increment value".)
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM rate_events WHERE rate_key = ?", k).Scan(&n); err != nil {
		return false, err
	}
	if n >= limit {
		return false, nil
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO rate_events (rate_key, at_us) VALUES (?, "+nowUS+")", k); err != nil {
		return false, err
	}
	return true, nil
}
