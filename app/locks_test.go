package app

import (
	"context"
	"testing"
	"time"

	"banchengshi/storage"
)

// Replicas on MySQL without Redis never lock in process: what one holds,
// no other process on the database can take. The lock seen here is the
// scheduler's leadership ("schedule:leader", see package schedule), which a
// replica takes as it starts and gives up as it stops; another process on
// the same database plays the other replica.
func TestMySQLWithoutRedisLocksInMySQL(t *testing.T) {
	p := startProduct(t, onMySQL)
	ctx := context.Background()
	other, err := storage.NewDBShared(ctx, p.cfg.DBDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := other.Close(); err != nil {
			t.Errorf("close the other process's locks: %v", err)
		}
	})
	taken := func() bool {
		l, ok, err := other.Locker().TryLock(ctx, "schedule:leader", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			// Nobody held it: give it back for the replica to take.
			if err := l.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return !ok
	}
	eventually(t, "the first replica leads through a lock in MySQL", func() bool {
		return taken() && p.metric(roundsDone) >= 1
	})

	// A second replica takes over when the first stops: its lock is in
	// MySQL too.
	second := &product{t: t, sb: p.sb, cfg: p.cfg, opt: p.opt}
	second.start()
	t.Cleanup(second.stop)
	p.stop()
	eventually(t, "the second replica leads through a lock in MySQL", func() bool {
		return taken() && second.metric(roundsDone) >= 1
	})
}
