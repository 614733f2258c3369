// Package storagetest gives tests of any package a fresh database or Redis
// prefix of their own, removed when the test ends.
//
// MySQL and Redis are looked for on this machine (override with
// BCS_TEST_MYSQL_DSN, e.g. "root@tcp(127.0.0.1:3306)/", and BCS_TEST_REDIS_ADDR).
// When one cannot be reached the test is skipped, or fails when CI=true.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"banchengshi/pii"
	"banchengshi/storage"
)

// Sealer returns a sealer with a fresh random key.
func Sealer(t testing.TB) *pii.Sealer {
	t.Helper()
	key, err := pii.ParseKey(pii.NewKey())
	if err != nil {
		t.Fatalf("parse test key: %v", err)
	}
	s, err := pii.NewSealer(key)
	if err != nil {
		t.Fatalf("new sealer: %v", err)
	}
	return s
}

// SQLite opens a fresh SQLite database in a temporary directory.
func SQLite(t testing.TB) *storage.SQL {
	t.Helper()
	return SQLiteWith(t, Sealer(t))
}

// SQLiteWith is SQLite with a given sealer.
func SQLiteWith(t testing.TB, sealer *pii.Sealer) *storage.SQL {
	t.Helper()
	return openSQLite(t, sealer)
}

func openSQLite(t testing.TB, sealer *pii.Sealer, opts ...storage.Option) *storage.SQL {
	t.Helper()
	dsn := storage.DefaultSQLiteDSN(filepath.Join(t.TempDir(), "db", "test.db"))
	db, err := storage.Open(context.Background(), storage.DriverSQLite, dsn, sealer, opts...)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// MySQLDSN returns the DSN of a fresh, empty MySQL database that is dropped
// when the test ends, or skips the test (fails under CI=true) when MySQL
// cannot be reached.
func MySQLDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("BCS_TEST_MYSQL_DSN")
	if base == "" {
		base = "root@tcp(127.0.0.1:3306)/"
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("BCS_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	cfg.Timeout = 3 * time.Second
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "MySQL at "+cfg.Addr, err)
	}
	name := "bcs_test_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	cfg.DBName = name
	cfg.Timeout = 0
	return cfg.FormatDSN()
}

// MySQL opens a fresh MySQL database, dropped when the test ends.
func MySQL(t testing.TB) *storage.SQL {
	t.Helper()
	return MySQLWith(t, Sealer(t))
}

// MySQLWith is MySQL with a given sealer.
func MySQLWith(t testing.TB, sealer *pii.Sealer) *storage.SQL {
	t.Helper()
	return openMySQL(t, sealer)
}

func openMySQL(t testing.TB, sealer *pii.Sealer, opts ...storage.Option) *storage.SQL {
	t.Helper()
	dsn := MySQLDSN(t)
	db, err := storage.Open(context.Background(), storage.DriverMySQL, dsn, sealer, opts...)
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	// Registered after the drop, so it runs before it.
	t.Cleanup(func() { db.Close() })
	return db
}

// DBShared returns the shared stores of a MySQL deployment without Redis
// (locks and rate limits in MySQL) on a fresh, migrated database, closed when
// the test ends.
func DBShared(t testing.TB) *storage.DBShared {
	t.Helper()
	dsn := MySQLDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, storage.DriverMySQL, dsn, Sealer(t))
	if err != nil {
		t.Fatalf("open mysql: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := storage.NewDBShared(ctx, dsn)
	if err != nil {
		t.Fatalf("database locks: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Redis connects to Redis with a random key prefix; every key under it is
// deleted when the test ends.
func Redis(t testing.TB) *storage.Redis {
	t.Helper()
	addr := redisAddr()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	prefix := "bcs_test_" + randomHex(6) + ":"
	r, err := storage.NewRedis(ctx, addr, "", 0, prefix)
	if err != nil {
		unavailable(t, "Redis at "+addr, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := r.Client().Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			r.Client().Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("delete test keys under %s: %v", prefix, err)
		}
		r.Close()
	})
	return r
}

// unavailable skips the test, or fails it when CI=true.
func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not reachable (CI=true): %v", what, err)
	}
	t.Skipf("%s is not reachable, skipping (set CI=true to make this a failure): %v", what, err)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// UntilBlocked returns once a statement of another connection to db's
// MySQL (MariaDB) database has been running for over a tenth of a second
// (one of the test's own goroutines, waiting for a row lock), or once done
// has a value, which it puts back for the caller. A statement that does
// not wait is done long before. (InnoDB does not list every such wait as
// one: a statement waiting while MariaDB's optimizer reads a constant row
// shows in no INNODB_TRX.) A failed look is the test's error, and it
// returns, so that a caller inside a transaction or in a goroutine of its
// own goes on and ends. MariaDB only (TIME_MS).
func UntilBlocked(t testing.TB, db *storage.SQL, done chan error) {
	t.Helper()
	for {
		var n int
		err := db.DB().QueryRow("SELECT COUNT(*) FROM information_schema.PROCESSLIST" +
			" WHERE DB = DATABASE() AND COMMAND = 'Query' AND ID <> CONNECTION_ID() AND TIME_MS > 100").Scan(&n)
		if err != nil {
			t.Errorf("look for blocked statements: %v", err)
			return
		}
		if n > 0 {
			return
		}
		select {
		case err := <-done:
			done <- err
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
