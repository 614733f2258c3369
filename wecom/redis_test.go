package wecom

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"banchengshi/storage"
	"banchengshi/storage/storagetest"
)

// redisReplica is a client on the shared stores of a Redis deployment, as
// app wires it: the token cache, the pauses and the call budget in r.
func redisReplica(t testing.TB, f *fakeWeCom, r *storage.Redis) *Client {
	t.Helper()
	return newTestClientWith(t, f, Config{TokenCache: r.TokenCache(), Budget: storage.NewCallBudget(r, 10000, 150000)})
}

// sendRoutes answers send_msg, message/send and service_state/get.
func sendRoutes(f *fakeWeCom) {
	stateRoute(f)
	f.route("/cgi-bin/kf/send_msg", func(call) any { return map[string]any{"errcode": 0, "msgid": "m1"} })
	f.route("/cgi-bin/message/send", func(call) any { return map[string]any{"errcode": 0, "msgid": "a1"} })
}

// A WeCom call asks Redis once, pause and budget together, while the access
// token is held in process: two replicas sharing one Redis and one token
// send one command per call (it was four: the pause's PTTL, the minute's
// and the hour's budget, the token's GET).
func TestOneRedisRoundTripPerCall(t *testing.T) {
	f := newFake(t, "")
	sendRoutes(f)
	r := storagetest.Redis(t)
	replicas := []*Client{redisReplica(t, f, r), redisReplica(t, f, r)}
	ctx := context.Background()
	// The first calls fetch the token (and read it from Redis on the second
	// replica) and load the scripts.
	for _, c := range replicas {
		if _, err := c.SendKf(ctx, "wkA", "wmB", "", textMsg("您好")); err != nil {
			t.Fatal(err)
		}
	}
	counter := storagetest.CountRedis(r)
	const calls = 12
	for i := range calls {
		c := replicas[i%2]
		var err error
		switch i % 3 {
		case 0:
			_, err = c.SendKf(ctx, "wkA", "wmB", "", textMsg("您好"))
		case 1:
			_, _, err = c.ServiceState(ctx, "wkA", "wmB")
		case 2:
			_, _, err = c.SendApp(ctx, []string{"zhangsan"}, textMsg("提醒")) // no budget taken, the pause still checked
		}
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	want := make([]string, calls)
	for i := range want {
		want[i] = "evalsha"
	}
	if diff := cmp.Diff(want, counter.Commands()); diff != "" {
		t.Errorf("Redis commands of %d calls (-want +got):\n%s", calls, diff)
	}
	if got := counter.RoundTrips(); got != calls {
		t.Errorf("%d round trips to Redis for %d calls, want %d", got, calls, calls)
	}
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times, want 1 (the replicas share the token)", got)
	}
}

// When WeCom rejects the token one replica holds because another replica
// fetched a new one after WeCom dropped the old early, the one retry finds
// the new token in Redis: no second fetch, and the new token is held from
// then on.
func TestTokenRefreshedByAnotherReplica(t *testing.T) {
	for _, code := range []int{CodeInvalidToken, CodeTokenExpired, CodeInvalidCredential} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFake(t, "")
			stateRoute(f)
			r := storagetest.Redis(t)
			a, b := redisReplica(t, f, r), redisReplica(t, f, r)
			ctx := context.Background()
			for _, c := range []*Client{a, b} {
				if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
					t.Fatal(err)
				}
			}
			f.revoke(code)
			// a meets the rejection first and fetches tok-2.
			if _, _, err := a.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Fatalf("replica a after the revocation: %v", err)
			}
			// b still holds tok-1.
			if _, _, err := b.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Fatalf("replica b after a refreshed the token: %v", err)
			}
			var tokens []string
			for _, c := range f.callsTo("/cgi-bin/kf/service_state/get") {
				tokens = append(tokens, c.Token)
			}
			want := []string{"tok-1", "tok-1", "tok-1", "tok-2", "tok-1", "tok-2"}
			if diff := cmp.Diff(want, tokens); diff != "" {
				t.Errorf("tokens used by a, b, a (rejected, then retried), b (rejected, then retried) (-want +got):\n%s", diff)
			}
			if got := f.tokensIssued(); got != 2 {
				t.Errorf("gettoken called %d times, want 2 (b took a's new token from Redis)", got)
			}
			counter := storagetest.CountRedis(r)
			if _, _, err := b.ServiceState(ctx, "wkA", "wmB"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"evalsha"}, counter.Commands()); diff != "" {
				t.Errorf("b's next call: Redis commands (-want +got):\n%s", diff)
			}
			if got := f.callsTo("/cgi-bin/kf/service_state/get"); got[len(got)-1].Token != "tok-2" {
				t.Errorf("b's next call used %q, want tok-2", got[len(got)-1].Token)
			}
		})
	}
}

// A token is held in process only as long as the token cache keeps it
// (expires_in less tokenMargin); then the client asks Redis again, and holds
// what it finds for what Redis says it has left.
func TestHeldTokenRunsOutWithTheCache(t *testing.T) {
	f := newFake(t, "")
	stateRoute(f)
	r := storagetest.Redis(t)
	c := redisReplica(t, f, r)
	now := time.Now()
	c.now = func() time.Time { return now }
	ctx := context.Background()
	if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
		t.Fatal(err)
	}
	counter := storagetest.CountRedis(r)
	step := func(name string, want []string) {
		t.Helper()
		counter.Reset()
		if _, _, err := c.ServiceState(ctx, "wkA", "wmB"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, counter.Commands()); diff != "" {
			t.Errorf("%s: Redis commands (-want +got):\n%s", name, diff)
		}
	}
	now = now.Add(tokenTTL(7200*time.Second) - time.Second)
	step("just before the cache lets the token go", []string{"evalsha"})
	now = now.Add(time.Second)
	// Redis's own clock has not moved: it still has the token, for almost
	// the whole TTL.
	step("when the cache lets it go", []string{"evalsha", "evalsha"})
	step("after reading it again", []string{"evalsha"})
	now = now.Add(tokenTTL(7200*time.Second) - time.Minute)
	step("within what Redis said it had left", []string{"evalsha"})
	if got := f.tokensIssued(); got != 1 {
		t.Errorf("gettoken called %d times, want 1", got)
	}
}

// BenchmarkCallRedis makes b.N kf calls through a WeCom that answers at once,
// on the shared stores of a Redis deployment, and reports what each asked
// Redis (commands and round trips, counted by a go-redis hook), and the CPU
// of this process per call (the fake WeCom's included).
//
//	go test ./wecom -run '^$' -bench CallRedis -benchtime 2000x
func BenchmarkCallRedis(b *testing.B) {
	f := newFake(b, "")
	sendRoutes(f)
	r := storagetest.Redis(b)
	c := redisReplica(b, f, r)
	ctx := context.Background()
	if _, err := c.SendKf(ctx, "wkA", "wmB", "", textMsg("您好")); err != nil {
		b.Fatal(err)
	}
	counter := storagetest.CountRedis(r)
	cpu := processCPU()
	b.ResetTimer()
	for range b.N {
		if _, err := c.SendKf(ctx, "wkA", "wmB", "", textMsg("您好")); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu)/1e3/float64(b.N), "cpu-us/call")
	b.ReportMetric(float64(len(counter.Commands()))/float64(b.N), "redis-cmds/call")
	b.ReportMetric(float64(counter.RoundTrips())/float64(b.N), "redis-roundtrips/call")
}

// processCPU is the CPU (user and system) this process has used, in
// nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
