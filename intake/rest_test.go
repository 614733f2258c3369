package intake

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"banchengshi/cases"
	clock "banchengshi/internal/clocktest"
	"banchengshi/storage"
	"banchengshi/storage/storagetest"
	"banchengshi/wecom"
)

// reachableLocker is a Locker that cannot be reached while down is set, as
// Redis during an outage.
type reachableLocker struct {
	storage.Locker
	down *bool
}

func (l reachableLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	if *l.down {
		return nil, false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return l.Locker.TryLock(ctx, key, ttl)
}

// A kf callback whose pulls cannot be made, because WeCom does not answer
// them or the pullers' lock is out of reach, is not given up however long
// that lasts (counted as failures, the callbacks were given up after about
// four minutes, and the message waited for the catch-up), its pulls are
// tried a few times a minute, not more, and once a pull can be made again
// the message is pulled within restMost.
func TestAPullThatCannotBeMadeWaitsForWeComAndResumesSoon(t *testing.T) {
	for name, fault := range map[string]struct {
		err    error // what sync_msg answers while down; nil: it answers
		locker bool  // the lock is out of reach while down
	}{
		"WeCom unreachable": {err: errors.New("wecom /cgi-bin/kf/sync_msg: HTTP status 502")},
		"WeCom busy":        {err: &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: wecom.CodeSystemBusy, Msg: "system busy"}},
		"lock out of reach": {locker: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			repo := storagetest.SQLite(t)
			clk := clock.NewFake(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
			api := &pagedKf{pages: []wecom.SyncResponse{{NextCursor: "c1", Messages: []wecom.KfMessage{text("m1", "u1", "你好", clk.Now().Unix())}}}}
			down := true
			api.during = func(int) error {
				if down {
					return fault.err
				}
				return nil
			}
			shared := storage.NewMemory()
			in := pullIntake(t, repo, api, shared, clk)
			if fault.locker {
				in.locker = reachableLocker{shared.Locker(), &down}
			}
			receive(t, in, "tok1")
			callsAt := func() int {
				if fault.locker {
					return 0
				}
				return len(api.calls())
			}
			var lastMinute int
			for elapsed := time.Duration(0); elapsed < 30*time.Minute; elapsed += time.Second {
				if elapsed == 29*time.Minute {
					lastMinute = callsAt()
				}
				in.Drain(ctx)
				clk.Advance(time.Second)
			}
			pending, err := repo.PendingInbound(ctx, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(pending) != 1 || pending[0].DoneAt != nil || pending[0].Attempts < maxAttempts {
				t.Fatalf("after 30 minutes of pulls that could not be made: %d callbacks pending; want the one, tried and not given up", len(pending))
			}
			if n := callsAt() - lastMinute; n > int(time.Minute/restMost)+1 {
				t.Errorf("%d sync_msg calls in the outage's last minute; want at most one every %v", n, restMost)
			}
			down = false
			handled := func() bool {
				var n int
				if err := repo.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM kf_messages WHERE msgid = 'm1' AND done_at IS NOT NULL").Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 1
			}
			for wait := time.Duration(0); !handled(); wait += time.Second {
				if wait > restMost {
					t.Fatalf("the message not pulled and handled %v after a pull could be made again", wait)
				}
				clk.Advance(time.Second)
				in.Drain(ctx)
			}
			if left, err := repo.PendingInbound(ctx, 10); err != nil || len(left) != 0 {
				t.Errorf("callbacks left after the pull: %d, %v", len(left), err)
			}
		})
	}
}

// A callback stored while the account's pulls rest is pulled for at once:
// it may bring a Token WeCom takes, and WeCom may be back.
func TestANewCallbackIsPulledForDuringARest(t *testing.T) {
	ctx := context.Background()
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &pagedKf{}
	down := true
	api.during = func(int) error {
		if down {
			return errors.New("wecom /cgi-bin/kf/sync_msg: HTTP status 502")
		}
		return nil
	}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	receive(t, in, "tok1")
	for range 5 { // four pulls that could not be made: the rest is at restMost
		in.Drain(ctx)
		clk.Advance(restMost)
	}
	in.Drain(ctx)
	before := len(api.calls())
	clk.Advance(time.Second)
	down = false
	receive(t, in, "tok2")
	in.Drain(ctx)
	if got := api.calls(); len(got) != before+1 || got[len(got)-1] != "tok2" {
		t.Fatalf("sync_msg calls by Token: %v; want one more, with tok2, at once", got)
	}
	if left, err := repo.PendingInbound(ctx, 10); err != nil || len(left) != 0 {
		t.Errorf("callbacks left: %d, %v", len(left), err)
	}
}

// A pull WeCom refuses for a reason of its own (an errcode that is not
// "busy") counts against the callbacks as before: after maxAttempts they are
// given up, to the next callback or the catch-up.
func TestAPullWeComRefusesIsGivenUp(t *testing.T) {
	ctx := context.Background()
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &pagedKf{}
	api.during = func(int) error {
		return &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: 95000, Msg: "invalid open_kfid"}
	}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	receive(t, in, "tok1")
	for range maxAttempts {
		in.Drain(ctx)
		clk.Advance(20 * time.Minute)
	}
	if n := len(api.calls()); n != maxAttempts {
		t.Errorf("%d sync_msg calls, want %d", n, maxAttempts)
	}
	var rec cases.Inbound
	err := repo.DB().QueryRowContext(ctx, "SELECT attempts FROM inbound WHERE done_at IS NOT NULL").Scan(&rec.Attempts)
	if err != nil || rec.Attempts != maxAttempts {
		t.Errorf("the callback given up after %d attempts (%v); want %d", rec.Attempts, err, maxAttempts)
	}
}

// retryWait stays at its longest however many attempts were counted: a
// callback whose pulls could not be made counts one every restMost.
func TestRetryWaitStaysAtItsLongest(t *testing.T) {
	for _, n := range []int{10, 11, 64, 65, 1000} {
		if got := retryWait(n); got != 17*time.Minute {
			t.Errorf("retryWait(%d) = %v, want 17m", n, got)
		}
	}
	if got := fmt.Sprint(retryWait(1), retryWait(4)); got != "2s 16s" {
		t.Errorf("retryWait(1), (4) = %s, want 2s 16s", got)
	}
}
