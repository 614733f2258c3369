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
// Redis during an outage; tries counts the locks asked for.
type reachableLocker struct {
	storage.Locker
	down  *bool
	tries *int
}

func (l reachableLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	*l.tries++
	if *l.down {
		return nil, false, errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")
	}
	return l.Locker.TryLock(ctx, key, ttl)
}

// A kf callback whose pulls cannot be made, because WeCom does not answer
// them or the pullers' lock is out of reach, is not given up however long
// that lasts (counted as failures, the callbacks were given up after about
// four minutes, and the message waited for the catch-up), its pulls are
// tried a few times a minute, not more, on a replica started during the
// outage too, and once a pull can be made again the message is pulled
// within restMost.
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
			var locks int
			start := func() *Intake {
				in := pullIntake(t, repo, api, shared, clk)
				if fault.locker {
					in.locker = reachableLocker{shared.Locker(), &down, &locks}
				}
				return in
			}
			tries := func() int {
				if fault.locker {
					return locks
				}
				return len(api.calls())
			}
			in := start()
			receive(t, in, "tok1")
			var lastMinute int
			for elapsed := time.Duration(0); elapsed < 30*time.Minute; elapsed += time.Second {
				switch elapsed {
				case 15 * time.Minute:
					in = start() // a restart: what the rows say carries on
				case 29 * time.Minute:
					lastMinute = tries()
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
			if n := tries() - lastMinute; n > int(time.Minute/restMost)+1 {
				t.Errorf("%d pulls tried in the outage's last minute; want at most one every %v", n, restMost)
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

// The first failure of a callback's own after an outage counts as its first:
// the outage's tries do not give it up at once.
func TestAnOwnFailureAfterAnOutageCountsAfresh(t *testing.T) {
	ctx := context.Background()
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &pagedKf{}
	var refuse error = errors.New("wecom /cgi-bin/kf/sync_msg: HTTP status 502")
	api.during = func(int) error { return refuse }
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	receive(t, in, "tok1")
	for range 5 * 60 {
		in.Drain(ctx)
		clk.Advance(time.Second)
	}
	refuse = &wecom.APIError{Path: "/cgi-bin/kf/sync_msg", Code: 95000, Msg: "invalid open_kfid"}
	attempts := func() []int {
		var got []int
		pending, err := repo.PendingInbound(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range pending {
			got = append(got, rec.Attempts)
		}
		return got
	}
	for want := 1; want < maxAttempts; want++ {
		clk.Advance(retryWait(want - 1))
		if want == 1 {
			clk.Advance(restMost)
		}
		in.Drain(ctx)
		if got := attempts(); len(got) != 1 || got[0] != want {
			t.Fatalf("after the outage and %d refusals of its own: attempts %v, want [%d]", want, got, want)
		}
	}
	clk.Advance(retryWait(maxAttempts - 1))
	in.Drain(ctx)
	if got := attempts(); len(got) != 0 {
		t.Errorf("after %d refusals of its own: attempts %v; want it given up", maxAttempts, got)
	}
}

// losingLock is a lock whose lease is lost at its first renewal.
type losingLock struct{ storage.Lock }

func (losingLock) Refresh(context.Context, time.Duration) error { return storage.ErrLockLost }

type losingLocker struct{ storage.Locker }

func (l losingLocker) TryLock(ctx context.Context, key string, ttl time.Duration) (storage.Lock, bool, error) {
	lock, ok, err := l.Locker.TryLock(ctx, key, ttl)
	if lock != nil {
		lock = losingLock{lock}
	}
	return lock, ok, err
}

// A pull cut short because its lease was lost (Redis away while it ran)
// could not be made: it spends nothing of the callbacks'.
func TestAPullWhoseLeaseIsLostIsNotCounted(t *testing.T) {
	ctx := context.Background()
	repo := storagetest.SQLite(t)
	clk := clock.NewFake(time.Now())
	api := &blockingKf{}
	in := pullIntake(t, repo, api, storage.NewMemory(), clk)
	in.locker = losingLocker{in.locker}
	receive(t, in, "tok1")
	in.Drain(ctx) // the sync_msg call waits until the lease is lost (lockTTL/3)
	pending, err := repo.PendingInbound(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || !notPulled(pending[0]) {
		var got []string
		for _, rec := range pending {
			got = append(got, fmt.Sprintf("%d attempts, last error %q", rec.Attempts, rec.LastError))
		}
		t.Fatalf("after the lease was lost: %v; want the callback waiting, its pull not made", got)
	}
}

// blockingKf is a kf API whose sync_msg waits until its context ends.
type blockingKf struct{ fakeKf }

func (*blockingKf) SyncMsg(ctx context.Context, _ wecom.SyncRequest) (*wecom.SyncResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A callback stored while the account's others wait after pulls that could
// not be made is pulled for at once: it may bring a Token WeCom takes, and
// WeCom may be back.
func TestANewCallbackIsPulledForWhileOthersWait(t *testing.T) {
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
	for range 5 { // five pulls that could not be made: the wait is restMost
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

// After an outage with more callbacks waiting than one listing holds, those
// left once a pull succeeds (its messages already pulled) are cleared within
// restMost, not after the 17 minutes their count of tries would say.
func TestCallbacksLeftAfterAnOutageClearSoon(t *testing.T) {
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
	const callbacks = 250 // pendingInbound lists 100
	for i := range callbacks {
		receive(t, in, fmt.Sprintf("tok%d", i))
	}
	for range 10 * 60 {
		in.Drain(ctx)
		clk.Advance(time.Second)
	}
	down = false
	for wait := time.Duration(0); ; wait += time.Second {
		in.Drain(ctx)
		left, err := repo.PendingInbound(ctx, callbacks)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if wait > restMost {
			t.Fatalf("%d callbacks left %v after WeCom answered again", len(left), wait)
		}
		clk.Advance(time.Second)
	}
}
