package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// adminDB opens another connection pool on the same server, as another
// replica or an operator would.
func adminDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// twoDBLockers are the database locks of two replicas on a fresh MySQL
// database (dsn), closed when the test ends (a test may close one before).
func twoDBLockers(t *testing.T) (dsn string, a, b *storage.DBLocker) {
	t.Helper()
	dsn = storagetest.MySQLDSN(t)
	open := func() *storage.DBLocker {
		l, err := storage.NewDBLocker(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	return dsn, open(), open()
}

// twoDBShared are the shared stores of two replicas on one migrated MySQL
// database without Redis.
func twoDBShared(t *testing.T) [2]*storage.DBShared {
	t.Helper()
	dsn := storagetest.MySQLDSN(t)
	db, err := storage.Open(context.Background(), storage.DriverMySQL, dsn, storagetest.Sealer(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var replicas [2]*storage.DBShared
	for i := range replicas {
		s, err := storage.NewDBShared(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		replicas[i] = s
	}
	return replicas
}

// A holder whose connection dies (a crashed replica, a MySQL restart, a
// KILL) has lost its lock: Refresh and Unlock say so, and another replica
// takes the lock at once.
func TestDBLockConnectionLost(t *testing.T) {
	ctx := context.Background()
	dsn, a, b := twoDBLockers(t)

	held, ok, err := a.TryLock(ctx, "kf:wkA", time.Minute)
	if err != nil || !ok {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	if _, ok, err := b.TryLock(ctx, "kf:wkA", time.Minute); err != nil || ok {
		t.Fatalf("second replica TryLock = %v, %v; want refused", ok, err)
	}

	admin := adminDB(t, dsn)
	var id sql.NullInt64
	if err := admin.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?)", a.LockName("kf:wkA")).Scan(&id); err != nil || !id.Valid {
		t.Fatalf("IS_USED_LOCK = %v, %v; want the holder's connection", id, err)
	}
	if _, err := admin.ExecContext(ctx, "KILL CONNECTION ?", id.Int64); err != nil {
		t.Fatalf("KILL: %v", err)
	}

	if err := held.Refresh(ctx, time.Minute); !errors.Is(err, storage.ErrLockLost) {
		t.Errorf("Refresh after the connection died = %v, want ErrLockLost", err)
	}
	if err := held.Unlock(ctx); !errors.Is(err, storage.ErrLockLost) {
		t.Errorf("Unlock after the connection died = %v, want ErrLockLost", err)
	}
	next := takeSoon(t, b, "kf:wkA")
	if err := next.Unlock(ctx); err != nil {
		t.Errorf("Unlock: %v", err)
	}
}

// takeSoon takes key, polling (bounded) while the server finishes freeing it
// from a connection that is going away.
func takeSoon(t *testing.T, l storage.Locker, key string) storage.Lock {
	t.Helper()
	for i := 0; ; i++ {
		held, ok, err := l.TryLock(context.Background(), key, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return held
		}
		if i == 500 {
			t.Fatalf("lock %q was never freed", key)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A replica that shuts down frees its locks at once, long before their ttl.
func TestDBLockFreedWhenHolderExits(t *testing.T) {
	ctx := context.Background()
	_, a, b := twoDBLockers(t)
	if _, ok, err := a.TryLock(ctx, "outbox", time.Hour); err != nil || !ok {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	takeSoon(t, b, "outbox").Unlock(ctx)
}

// Two deployments (or two tests) on one MySQL server do not share locks;
// keys of any length fit GET_LOCK's 64 characters.
func TestDBLockScopedToDatabase(t *testing.T) {
	ctx := context.Background()
	one, two := storagetest.DBShared(t), storagetest.DBShared(t)
	long := "kf:" + strings.Repeat("w", 200)
	for _, key := range []string{"leader", long} {
		l1, ok, err := one.Locker().TryLock(ctx, key, time.Minute)
		if err != nil || !ok {
			t.Fatalf("first database TryLock(%.20s) = %v, %v", key, ok, err)
		}
		l2, ok, err := two.Locker().TryLock(ctx, key, time.Minute)
		if err != nil || !ok {
			t.Fatalf("second database TryLock(%.20s) = %v, %v; want its own lock", key, ok, err)
		}
		if n := len(one.Locks().LockName(key)); n > 64 {
			t.Errorf("lock name has %d characters, MySQL allows 64", n)
		}
		l1.Unlock(ctx)
		l2.Unlock(ctx)
	}
}

// A holder that hangs or whose node vanishes (no refresh, socket left open)
// loses the lock on the server's side once its connection has been idle for
// the ttl, so another replica takes over without waiting for TCP to notice.
func TestDBLockFreedByServerWhenHolderVanishes(t *testing.T) {
	ctx := context.Background()
	_, a, b := twoDBLockers(t)
	held, ok, err := a.TryLock(ctx, "leader", time.Second)
	if err != nil || !ok {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	storage.Freeze(held)
	if _, ok, err := b.TryLock(ctx, "leader", time.Second); err != nil || ok {
		t.Fatalf("a live lock was taken by another (%v), or the attempt failed", err)
	}
	takeSoon(t, b, "leader").Unlock(ctx)
	if err := held.Refresh(ctx, time.Second); !errors.Is(err, storage.ErrLockLost) {
		t.Errorf("Refresh by the vanished holder = %v, want ErrLockLost", err)
	}
}

// Replicas on MySQL without Redis spend one budget: twenty sends at once
// from each of two replicas, ten allowed in all.
func TestDBRateLimiterOneBudgetForReplicas(t *testing.T) {
	ctx := context.Background()
	replicas := twoDBShared(t)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for _, r := range replicas {
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := r.RateLimiter().Allow(ctx, "app:zhangsan", 10, time.Minute)
				if err != nil {
					t.Error(err)
				} else if ok {
					allowed.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Errorf("%d sends allowed across two replicas, want 10", n)
	}
	if ok, err := replicas[0].RateLimiter().Allow(ctx, "app:lisi", 10, time.Minute); err != nil || !ok {
		t.Errorf("another member's first send = %v, %v; want allowed", ok, err)
	}
}

// On MySQL without Redis a pause one replica learns of (45009) holds every
// replica back, and is never shortened by a shorter one.
func TestDBPausesSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	replicas := twoDBShared(t)
	if err := replicas[0].Pauses().Pause(ctx, "/cgi-bin/kf/send_msg", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := replicas[1].Pauses().Pause(ctx, "/cgi-bin/kf/send_msg", time.Minute); err != nil {
		t.Fatal(err)
	}
	d, err := replicas[1].Pauses().PausedFor(ctx, "/cgi-bin/kf/send_msg")
	if err != nil || d <= 59*time.Minute || d > time.Hour {
		t.Errorf("the other replica's PausedFor = %v, %v; want close to the hour the first was told", d, err)
	}
	if d, err := replicas[0].Pauses().PausedFor(ctx, "/cgi-bin/message/send"); err != nil || d != 0 {
		t.Errorf("another API paused for %v, %v", d, err)
	}
}
