package storage_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// eachShared runs the same test on the Redis, the MySQL-locks and the
// in-process stores.
func eachShared(t *testing.T, fn func(t *testing.T, s storage.SharedStores)) {
	shared := []struct {
		name string
		open func(testing.TB) storage.SharedStores
	}{
		{"memory", func(testing.TB) storage.SharedStores { return storage.NewMemory() }},
		{"redis", func(t testing.TB) storage.SharedStores { return storagetest.Redis(t) }},
		{"mysql", func(t testing.TB) storage.SharedStores { return storagetest.DBShared(t) }},
	}
	for _, b := range shared {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := b.open(t)
			if err := s.Ping(context.Background()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			fn(t, s)
		})
	}
}

func TestLockExclusive(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		locker := s.Locker()
		const workers = 20
		var winners atomic.Int32
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, ok, err := locker.TryLock(ctx, "kf:wkA", time.Minute); err != nil {
					t.Error(err)
				} else if ok {
					winners.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := winners.Load(); n != 1 {
			t.Fatalf("%d of %d replicas took the lock, want 1", n, workers)
		}
		other, ok, err := locker.TryLock(ctx, "kf:wkB", time.Minute)
		if err != nil || !ok {
			t.Fatalf("TryLock of another key = %v, %v; want taken", ok, err)
		}
		if err := other.Unlock(ctx); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		again, ok, err := locker.TryLock(ctx, "kf:wkB", time.Minute)
		if err != nil || !ok {
			t.Fatalf("TryLock after Unlock = %v, %v; want taken", ok, err)
		}
		if err := again.Refresh(ctx, time.Minute); err != nil {
			t.Errorf("Refresh a held lock: %v", err)
		}
		if err := other.Unlock(ctx); !errors.Is(err, storage.ErrLockLost) {
			t.Errorf("second Unlock by the old holder error = %v, want ErrLockLost", err)
		}
		if _, ok, _ := locker.TryLock(ctx, "kf:wkB", time.Minute); ok {
			t.Error("the old holder's Unlock released the new holder's lock")
		}
	})
}

func TestLockExpiryAndRefresh(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		locker := s.Locker()
		const ttl = 150 * time.Millisecond

		// A replica that dies stops refreshing; another takes over after ttl.
		dead, ok, err := locker.TryLock(ctx, "leader", ttl)
		if err != nil || !ok {
			t.Fatalf("TryLock = %v, %v", ok, err)
		}
		time.Sleep(ttl + 100*time.Millisecond)
		next, ok, err := locker.TryLock(ctx, "leader", time.Minute)
		if err != nil || !ok {
			t.Fatalf("TryLock after expiry = %v, %v; want taken", ok, err)
		}
		if err := dead.Refresh(ctx, time.Minute); !errors.Is(err, storage.ErrLockLost) {
			t.Errorf("Refresh of an expired lock error = %v, want ErrLockLost", err)
		}
		if err := dead.Unlock(ctx); !errors.Is(err, storage.ErrLockLost) {
			t.Errorf("Unlock by a non-owner error = %v, want ErrLockLost", err)
		}
		if _, ok, _ := locker.TryLock(ctx, "leader", time.Minute); ok {
			t.Error("non-owner Unlock released the lock")
		}
		if err := next.Unlock(ctx); err != nil {
			t.Errorf("owner Unlock: %v", err)
		}

		// A live replica that refreshes keeps the lock past its first ttl.
		live, ok, err := locker.TryLock(ctx, "puller", ttl)
		if err != nil || !ok {
			t.Fatalf("TryLock = %v, %v", ok, err)
		}
		for range 3 {
			time.Sleep(ttl / 2)
			if err := live.Refresh(ctx, ttl); err != nil {
				t.Fatalf("Refresh: %v", err)
			}
		}
		if _, ok, _ := locker.TryLock(ctx, "puller", ttl); ok {
			t.Error("a refreshed lock was taken by another")
		}
	})
}

func TestRateLimiter(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		rl := s.RateLimiter()
		const window = 300 * time.Millisecond
		allow := func(key string, n int) []bool {
			var out []bool
			for range n {
				ok, err := rl.Allow(ctx, key, 3, window)
				if err != nil {
					t.Fatalf("Allow(%s): %v", key, err)
				}
				out = append(out, ok)
			}
			return out
		}
		if diff := cmp.Diff([]bool{true, true, true, false, false}, allow("app:zhangsan", 5)); diff != "" {
			t.Errorf("first burst (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]bool{true, true}, allow("app:lisi", 2)); diff != "" {
			t.Errorf("another member is limited separately (-want +got):\n%s", diff)
		}
		time.Sleep(window + 100*time.Millisecond)
		// Refused attempts were not counted: the window is free again.
		if diff := cmp.Diff([]bool{true, true, true, false}, allow("app:zhangsan", 4)); diff != "" {
			t.Errorf("after the window (-want +got):\n%s", diff)
		}
	})
}

func TestTokenCache(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		c := s.TokenCache()
		if v := c.Get("access_token"); v != nil {
			t.Fatalf("Get on a miss = %#v, want nil", v)
		}
		if c.IsExist("access_token") {
			t.Error("IsExist on a miss = true")
		}
		if err := c.Set("access_token", "tok-123", time.Hour); err != nil {
			t.Fatal(err)
		}
		// silenceper does val.(string).
		if v, ok := c.Get("access_token").(string); !ok || v != "tok-123" {
			t.Errorf("Get = %#v, want the string tok-123", c.Get("access_token"))
		}
		if !c.IsExist("access_token") {
			t.Error("IsExist after Set = false")
		}
		if err := c.Set("expires_soon", "x", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if err := c.Set("bad", struct{}{}, time.Hour); err == nil {
			t.Error("Set of a struct succeeded; silenceper could not read it back")
		}
		// What the WeCom client reads: the token and how long it has left.
		ec, ok := c.(wecom.ExpiringCache)
		if !ok {
			t.Fatalf("%T is not a wecom.ExpiringCache", c)
		}
		if v, left, err := ec.GetExpiring(context.Background(), "access_token"); err != nil || v != "tok-123" || left <= 59*time.Minute || left > time.Hour {
			t.Errorf("GetExpiring = %q, %v, %v; want tok-123 for close to an hour", v, left, err)
		}
		if err := c.Delete("access_token"); err != nil {
			t.Fatal(err)
		}
		if v, left, err := ec.GetExpiring(context.Background(), "access_token"); err != nil || v != "" || left != 0 {
			t.Errorf("GetExpiring after delete = %q, %v, %v; want a miss", v, left, err)
		}
		if err := c.Set("forever", "y", 0); err != nil {
			t.Fatal(err)
		}
		if v, left, err := ec.GetExpiring(context.Background(), "forever"); err != nil || v != "y" || left > 0 {
			t.Errorf("GetExpiring of a value that never expires = %q, %v, %v; want y and no time left", v, left, err)
		}
		time.Sleep(200 * time.Millisecond)
		for _, k := range []string{"access_token", "expires_soon"} {
			if v := c.Get(k); v != nil {
				t.Errorf("Get(%s) after delete/expiry = %#v, want nil", k, v)
			}
		}
	})
}

func TestRedisKeysUnderPrefix(t *testing.T) {
	r := storagetest.Redis(t)
	ctx := context.Background()
	if _, _, err := r.Locker().TryLock(ctx, "k", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RateLimiter().Allow(ctx, "k", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := r.TokenCache().Set("k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	keys, err := r.Client().Keys(ctx, r.Prefix()+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Errorf("keys under %s = %v, want lock, rate and token keys", r.Prefix(), keys)
	}
	for _, k := range []string{"lock:k", "rate:k", "token:k"} {
		if n, _ := r.Client().Exists(ctx, r.Prefix()+k).Result(); n != 1 {
			t.Errorf("%s%s missing", r.Prefix(), k)
		}
	}
}

// A pause after WeCom's frequency limit is seen by every replica, ends by
// itself, and is never shortened by a shorter one.
func TestAPIPauses(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		p := s.Pauses()
		if d, err := p.PausedFor(ctx, "/cgi-bin/kf/send_msg"); err != nil || d != 0 {
			t.Fatalf("PausedFor before any pause = %v, %v; want 0", d, err)
		}
		if err := p.Pause(ctx, "/cgi-bin/kf/send_msg", time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := p.Pause(ctx, "/cgi-bin/kf/send_msg", 200*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		d, err := p.PausedFor(ctx, "/cgi-bin/kf/send_msg")
		if err != nil || d <= 30*time.Second || d > time.Minute {
			t.Errorf("PausedFor after a minute's pause and a shorter one = %v, %v; want close to a minute", d, err)
		}
		if d, _ := p.PausedFor(ctx, "/cgi-bin/message/send"); d != 0 {
			t.Errorf("another API paused for %v", d)
		}
		if err := p.Pause(ctx, "/cgi-bin/kf/sync_msg", 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if d, _ := p.PausedFor(ctx, "/cgi-bin/kf/sync_msg"); d != 0 {
			t.Errorf("pause still %v after it ended", d)
		}
	})
}

// The call budget keeps 10% of WeCom's ceiling unused, per API, and is
// shared by every replica using the same store.
func TestCallBudget(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		replicaA := storage.NewCallBudget(s, 20, 1000)
		replicaB := storage.NewCallBudget(s, 20, 1000)
		if m, h := replicaA.Limits(); m != 18 || h != 900 {
			t.Errorf("limits %d a minute, %d an hour; want 18 and 900", m, h)
		}
		var got []bool
		for i := range 20 {
			b := replicaA
			if i%2 == 1 {
				b = replicaB
			}
			ok, err := b.Allow(ctx, "/cgi-bin/kf/send_msg")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ok)
		}
		want := make([]bool, 20)
		for i := range 18 {
			want[i] = true
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("20 calls by two replicas (-want +got):\n%s", diff)
		}
		if ok, err := replicaA.Allow(ctx, "/cgi-bin/kf/sync_msg"); err != nil || !ok {
			t.Errorf("another API: %v, %v; want allowed", ok, err)
		}
		hourly := storage.NewCallBudget(s, 100, 3)
		var hour []bool
		for range 4 {
			ok, _ := hourly.Allow(ctx, "/cgi-bin/kf/service_state/trans")
			hour = append(hour, ok)
		}
		if diff := cmp.Diff([]bool{true, true, false, false}, hour); diff != "" {
			t.Errorf("hour limit 3 (2 with headroom) (-want +got):\n%s", diff)
		}
	})
}

var _ wecom.Gate = (*storage.CallBudget)(nil)

// Admit checks an API's pause and takes its call in one step: a paused API
// is refused without taking budget, an uncounted call (spend false) takes
// none, and the minute and hour windows are those of Allow, shared by every
// replica on the same store.
func TestCallBudgetAdmit(t *testing.T) {
	eachShared(t, func(t *testing.T, s storage.SharedStores) {
		ctx := context.Background()
		const api = "/cgi-bin/kf/send_msg"
		replicaA := storage.NewCallBudget(s, 20, 1000)
		replicaB := storage.NewCallBudget(s, 20, 1000)
		admit := func(b *storage.CallBudget, api string, spend bool) (time.Duration, bool) {
			t.Helper()
			paused, ok, err := b.Admit(ctx, api, spend)
			if err != nil {
				t.Fatalf("Admit(%s): %v", api, err)
			}
			return paused, ok
		}

		if err := replicaA.Pause(ctx, api, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			b := replicaA
			if i%2 == 1 {
				b = replicaB
			}
			if paused, _ := admit(b, api, true); paused <= 0 || paused > 300*time.Millisecond {
				t.Fatalf("call %d in the pause: paused %v, want what is left of 300ms", i, paused)
			}
		}
		if paused, ok := admit(replicaB, "/cgi-bin/kf/sync_msg", true); paused != 0 || !ok {
			t.Errorf("another API in send_msg's pause: paused %v, ok %v", paused, ok)
		}
		for range 30 {
			if paused, ok := admit(replicaB, "/cgi-bin/message/send", false); paused != 0 || !ok {
				t.Fatalf("an uncounted call: paused %v, ok %v", paused, ok)
			}
		}
		time.Sleep(400 * time.Millisecond)

		// The 30 calls refused in the pause took nothing: the minute's 18
		// (20 less the headroom) are all there, for both replicas together.
		var got []bool
		for i := range 20 {
			b := replicaA
			if i%2 == 1 {
				b = replicaB
			}
			paused, ok := admit(b, api, true)
			if paused != 0 {
				t.Fatalf("paused %v after the pause ended", paused)
			}
			got = append(got, ok)
		}
		want := make([]bool, 20)
		for i := range 18 {
			want[i] = true
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("20 calls by two replicas after the pause (-want +got):\n%s", diff)
		}
		// The uncounted calls took nothing either.
		if _, ok := admit(replicaA, "/cgi-bin/message/send", true); !ok {
			t.Error("message/send's budget was taken by uncounted calls")
		}

		// Allow (a replica of the version before Admit) and Admit count
		// against one budget.
		var mixed []bool
		for i := range 20 {
			const api = "/cgi-bin/kf/customer/batchget"
			if i%2 == 0 {
				_, ok := admit(replicaA, api, true)
				mixed = append(mixed, ok)
				continue
			}
			ok, err := replicaB.Allow(ctx, api)
			if err != nil {
				t.Fatal(err)
			}
			mixed = append(mixed, ok)
		}
		if diff := cmp.Diff(want, mixed); diff != "" {
			t.Errorf("20 calls through Admit and Allow (-want +got):\n%s", diff)
		}

		hourly := storage.NewCallBudget(s, 100, 3)
		var hour []bool
		for range 4 {
			_, ok := admit(hourly, "/cgi-bin/kf/service_state/trans", true)
			hour = append(hour, ok)
		}
		if diff := cmp.Diff([]bool{true, true, false, false}, hour); diff != "" {
			t.Errorf("hour limit 3 (2 with headroom) (-want +got):\n%s", diff)
		}
	})
}

// On Redis, Admit is one script: one command and one round trip per call,
// paused or not, counted or not (the pause, the minute and the hour budget
// were three round trips).
func TestCallBudgetAdmitIsOneRedisCommand(t *testing.T) {
	r := storagetest.Redis(t)
	ctx := context.Background()
	b := storage.NewCallBudget(r, 10000, 150000)
	// The first run of a script may load it (EVALSHA, then EVAL).
	if _, _, err := b.Admit(ctx, "/cgi-bin/kf/sync_msg", true); err != nil {
		t.Fatal(err)
	}
	counter := storagetest.CountRedis(r)
	steps := []struct {
		name  string
		api   string
		spend bool
	}{
		{"counted", "/cgi-bin/kf/send_msg", true},
		{"uncounted", "/cgi-bin/message/send", false},
		{"paused", "/cgi-bin/kf/service_state/trans", true},
	}
	if err := b.Pause(ctx, "/cgi-bin/kf/service_state/trans", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		counter.Reset()
		if _, _, err := b.Admit(ctx, s.api, s.spend); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if diff := cmp.Diff([]string{"evalsha"}, counter.Commands()); diff != "" {
			t.Errorf("%s call: Redis commands (-want +got):\n%s", s.name, diff)
		}
		if got := counter.RoundTrips(); got != 1 {
			t.Errorf("%s call: %d round trips to Redis, want 1", s.name, got)
		}
	}
}
