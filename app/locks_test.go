package app

import (
	"context"
	"testing"
	"time"

	"banchengshi/storage"
)

// Replicas on MySQL without Redis never lock in process: what one holds
// (a kf account's puller, the outbox, the scheduler's leadership), the other
// cannot take.
func TestMySQLWithoutRedisLocksInMySQL(t *testing.T) {
	p := startProduct(t, onMySQL)
	second, err := New(context.Background(), p.cfg, p.opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		second.Close(ctx)
	})
	for _, a := range []*App{p.app, second} {
		if _, ok := a.shared.(*storage.DBShared); !ok {
			t.Fatalf("shared stores on MySQL without Redis are %T, want *storage.DBShared", a.shared)
		}
	}
	ctx := context.Background()
	held, ok, err := p.app.shared.Locker().TryLock(ctx, "probe", time.Minute)
	if err != nil || !ok {
		t.Fatalf("first replica TryLock = %v, %v", ok, err)
	}
	if _, ok, err := second.shared.Locker().TryLock(ctx, "probe", time.Minute); err != nil || ok {
		t.Fatalf("second replica TryLock = %v, %v; want refused while the first holds it", ok, err)
	}
	if err := held.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	again, ok, err := second.shared.Locker().TryLock(ctx, "probe", time.Minute)
	if err != nil || !ok {
		t.Fatalf("second replica TryLock after release = %v, %v", ok, err)
	}
	again.Unlock(ctx)
}
